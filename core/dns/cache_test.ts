import assert from "node:assert/strict";
import { TtlCache } from "./cache.ts";

Deno.test("TtlCache.get() returns an entry until it expires", () => {
  const c = new TtlCache<string>(10);
  c.set("a", "x", 1000);
  assert.equal(c.get("a", 999)?.value, "x");
  assert.equal(c.get("a", 1000), undefined);
  assert.equal(c.size, 0);
});

Deno.test("TtlCache.set() evicts the least recently used entry at capacity", () => {
  const c = new TtlCache<number>(2);
  c.set("a", 1, 100);
  c.set("b", 2, 100);
  assert.equal(c.get("a", 0)?.value, 1); // a is now the most recently used
  c.set("c", 3, 100);
  assert.equal(c.get("b", 0), undefined);
  assert.equal(c.get("a", 0)?.value, 1);
  assert.equal(c.get("c", 0)?.value, 3);
  assert.equal(c.size, 2);
});

Deno.test("TtlCache.set() replaces an entry without evicting another", () => {
  const c = new TtlCache<number>(2);
  c.set("a", 1, 100);
  c.set("b", 2, 100);
  c.set("a", 3, 200);
  assert.deepEqual([c.get("a", 0), c.get("b", 0)?.value], [{ value: 3, expires: 200 }, 2]);
});

Deno.test("TtlCache with capacity 0 keeps nothing", () => {
  const c = new TtlCache<number>(0);
  c.set("a", 1, 100);
  assert.equal(c.get("a", 0), undefined);
  c.clear();
  assert.equal(c.size, 0);
});
