import assert from "node:assert/strict";
import {
  addresses,
  addressLiteral,
  headerFields,
  receivedHeader,
  rfc5322Date,
  withProtocol,
} from "./_headers.ts";

Deno.test("addresses() extracts addr-specs from RFC 5322 address lists", () => {
  assert.deepEqual(addresses(" alice@example.org"), ["alice@example.org"]);
  assert.deepEqual(addresses('"Bob, <x@y>" <bob@example.org> (comment, <z@w>)'), [
    "bob@example.org",
  ]);
  assert.deepEqual(addresses("a@x.example, B <b@y.example>,,"), ["a@x.example", "b@y.example"]);
  assert.deepEqual(addresses("Team: a@x.example, b@y.example;, c@z.example"), [
    "a@x.example",
    "b@y.example",
    "c@z.example",
  ]);
  assert.deepEqual(addresses("<@route.example:a@x.example>"), ["a@x.example"]);
  assert.deepEqual(addresses("Undisclosed recipients:;"), []);
  assert.deepEqual(addresses(""), []);
});

Deno.test("headerFields() unfolds fields of the header section only", () => {
  const msg = new TextEncoder().encode(
    "From: a\r\n b@x.example\r\nSubject: hi\r\n\r\nFrom: not@header.example\r\n",
  );
  assert.deepEqual(headerFields(msg), [
    { name: "from", value: " a b@x.example" },
    { name: "subject", value: " hi" },
  ]);
  assert.deepEqual(headerFields(new TextEncoder().encode("X: 1")), [{ name: "x", value: " 1" }]);
});

Deno.test("receivedHeader() writes an RFC 5321 §4.4 time stamp line", () => {
  const date = new Date("2024-03-09T08:07:06Z");
  assert.equal(rfc5322Date(date), "Sat, 9 Mar 2024 08:07:06 +0000");
  assert.equal(addressLiteral("::ffff:192.0.2.1"), "[192.0.2.1]");
  assert.equal(addressLiteral("2001:db8::1"), "[IPv6:2001:db8::1]");
  assert.equal(
    receivedHeader({
      helo: { kind: "ipv6", address: "2001:db8::1" },
      remoteIp: "2001:db8::1",
      hostname: "mail.example.org",
      protocol: withProtocol({ esmtp: true, tls: true, auth: true, utf8: true }),
      id: "c1.1",
      for: "bob@example.org",
      tls: { version: "TLSv1.2", cipher: "ECDHE-RSA-AES128-GCM-SHA256", sni: "" },
      date,
    }),
    "Received: from [IPv6:2001:db8::1] ([IPv6:2001:db8::1])\r\n" +
      "\tby mail.example.org (Postern) with UTF8SMTPSA id c1.1\r\n" +
      "\t(using TLSv1.2 with cipher ECDHE-RSA-AES128-GCM-SHA256)\r\n" +
      "\tfor <bob@example.org>; Sat, 9 Mar 2024 08:07:06 +0000\r\n",
  );
  assert.equal(withProtocol({ esmtp: false, tls: true, auth: false, utf8: false }), "SMTP");
});
