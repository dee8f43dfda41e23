import assert from "node:assert/strict";
import { importMbox } from "./import.ts";

Deno.test("importMbox() counts octets even when the target transfers (detaches) the bytes", async () => {
  const mbox = "From a@b Mon Nov 16 10:00:00 2026\nSubject: one\n\nbody\n\n" +
    "From a@b Mon Nov 16 10:00:01 2026\nSubject: two\n\nbody\n";
  let seen = 0;
  const chunks = (async function* () {
    yield new TextEncoder().encode(mbox);
  })();
  const report = await importMbox(chunks, "Inbox", {
    addBatch: (items) => {
      for (const i of items) {
        seen += i.message.length;
        structuredClone(i.message.buffer, { transfer: [i.message.buffer as ArrayBuffer] });
      }
      return Promise.resolve();
    },
  });
  assert.equal(report.messages, 2);
  assert.ok(seen > 0);
  assert.equal(report.octets, seen);
});
