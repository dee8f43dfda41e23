import assert from "node:assert/strict";
import { SelectedMailbox } from "./selected.ts";

const box = (uids: number[], qresync = false) =>
  new SelectedMailbox("Inbox", 7, Uint32Array.from(uids), false, qresync);

Deno.test("SelectedMailbox maps sequence numbers and UIDs", () => {
  const b = box([3, 5, 9, 10]);
  assert.equal(b.exists, 4);
  assert.equal(b.uidAt(1), 3);
  assert.equal(b.uidAt(5), undefined);
  assert.equal(b.seqOf(9), 3);
  assert.equal(b.seqOf(4), undefined);
  assert.deepEqual(b.uidsOfSeqSet([[2, null]]), [5, 9, 10]);
  assert.deepEqual(b.uidsOfSeqSet([[null, 3], [1, 1], [7, 9]]), [3, 9, 10]);
  assert.deepEqual(b.uidsOfUidSet([[4, 9]]), [5, 9]);
  // RFC 9051 §6.4.9: "n:*" names the largest UID even when n is beyond it.
  assert.deepEqual(b.uidsOfUidSet([[100, null]]), [10]);
  assert.deepEqual(box([]).uidsOfUidSet([[1, null]]), []);
});

Deno.test("SelectedMailbox holds expunges back until they may be sent, numbered as sent", () => {
  const b = box([1, 2, 3, 4, 5]);
  b.expunged([2, 4]);
  assert.equal(b.exists, 5, "numbers do not move behind the client's back");
  assert.equal(b.seqOf(4), 4);
  const held = b.flush(false);
  assert.deepEqual(held.expunged, []);
  assert.equal(b.exists, 5);
  const sent = b.flush(true);
  // 2 is message 2; after it goes, 4 is message 3.
  assert.deepEqual(sent.expunged, [2, 3]);
  assert.equal(sent.exists, undefined, "EXPUNGE itself tells the new count");
  assert.equal(b.exists, 3);
  assert.equal(b.seqOf(5), 3);
});

Deno.test("SelectedMailbox reports VANISHED with QRESYNC, EXISTS for additions, flag changes", () => {
  const b = box([1, 2, 3], true);
  b.added(4);
  b.added(5);
  b.expunged([1, 5]); // 5 was never reported: it just disappears
  b.flagsChanged(3, ["\\Seen"], 12);
  b.flagsChanged(1, ["\\Seen"], 13);
  const out = b.flush(true);
  assert.deepEqual(out.vanished, [1]);
  assert.deepEqual(out.expunged, []);
  assert.equal(out.exists, 3);
  assert.deepEqual(out.flags, [{ seq: 2, uid: 3, flags: ["\\Seen"], modseq: 12 }]);
  assert.equal(b.pending, false);
  assert.deepEqual(b.uidsOfSeqSet([[1, null]]), [2, 3, 4]);
});

Deno.test("SelectedMailbox grows past its initial capacity", () => {
  const b = box([]);
  for (let uid = 1; uid <= 1000; uid++) b.added(uid);
  assert.equal(b.flush(true).exists, 1000);
  assert.equal(b.uidAt(1000), 1000);
  assert.equal(b.seqOf(500), 500);
});
