import assert from "node:assert/strict";
import { ConnectionLimiter, sourceKey } from "./limits.ts";

Deno.test("sourceKey() groups IPv6 by /64 and unmaps IPv4-mapped addresses", () => {
  assert.equal(sourceKey("192.0.2.1"), "192.0.2.1");
  assert.equal(sourceKey("::ffff:192.0.2.1"), "192.0.2.1");
  assert.equal(sourceKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  assert.equal(sourceKey("2001:db8:1:2::9"), "2001:db8:1:2::/64");
  assert.equal(sourceKey("2001:0db8::1"), "2001:db8:0:0::/64");
  assert.equal(sourceKey("::1"), "0:0:0:0::/64");
});

Deno.test("ConnectionLimiter.admit() enforces concurrent connections per source", () => {
  const limiter = new ConnectionLimiter({
    maxConnections: 100,
    perIpConnections: 2,
    perIpRatePerMinute: 100,
  });
  assert.equal(limiter.admit("192.0.2.1"), "ok");
  assert.equal(limiter.admit("192.0.2.1"), "ok");
  assert.equal(limiter.admit("192.0.2.1"), "concurrency");
  assert.equal(limiter.admit("2001:db8::1"), "ok");
  assert.equal(limiter.admit("2001:db8::2"), "ok");
  assert.equal(limiter.admit("2001:db8::3"), "concurrency", "same /64");
  assert.equal(limiter.admit("2001:db8:0:1::3"), "ok", "other /64");
  limiter.release("192.0.2.1");
  assert.equal(limiter.admit("192.0.2.1"), "ok");
});

Deno.test("ConnectionLimiter.admit() enforces the global cap", () => {
  const limiter = new ConnectionLimiter({
    maxConnections: 2,
    perIpConnections: 10,
    perIpRatePerMinute: 100,
  });
  assert.equal(limiter.admit("192.0.2.1"), "ok");
  assert.equal(limiter.admit("192.0.2.2"), "ok");
  assert.equal(limiter.admit("192.0.2.3"), "global");
  limiter.release("192.0.2.2");
  assert.equal(limiter.open, 1);
  assert.equal(limiter.admit("192.0.2.3"), "ok");
});

Deno.test("ConnectionLimiter.admit() limits the connection rate and refills over time", () => {
  let now = 0;
  const limiter = new ConnectionLimiter(
    { maxConnections: 100, perIpConnections: 100, perIpRatePerMinute: 3 },
    () => now,
  );
  for (let i = 0; i < 3; i++) {
    assert.equal(limiter.admit("192.0.2.1"), "ok");
    limiter.release("192.0.2.1");
  }
  assert.equal(limiter.admit("192.0.2.1"), "rate");
  now += 20_000; // one token per 20 s
  assert.equal(limiter.admit("192.0.2.1"), "ok");
  assert.equal(limiter.admit("192.0.2.1"), "rate");
});

Deno.test("ConnectionLimiter.sweep() forgets idle sources with full buckets only", () => {
  let now = 0;
  const limiter = new ConnectionLimiter(
    { maxConnections: 100, perIpConnections: 100, perIpRatePerMinute: 60 },
    () => now,
  );
  limiter.admit("192.0.2.1");
  limiter.admit("192.0.2.2");
  limiter.release("192.0.2.2");
  limiter.sweep();
  assert.equal(limiter.tracked, 2, "bucket of .2 not yet full");
  now += 60_000;
  limiter.sweep();
  assert.equal(limiter.tracked, 1, ".1 still has a connection open");
});
