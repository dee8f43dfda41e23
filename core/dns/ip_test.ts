import assert from "node:assert/strict";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, reverseName } from "./ip.ts";

Deno.test("parseIPv4() accepts dotted quads and refuses the rest", () => {
  assert.deepEqual(parseIPv4("192.0.2.1"), Uint8Array.of(192, 0, 2, 1));
  assert.deepEqual(parseIPv4("0.0.0.0"), Uint8Array.of(0, 0, 0, 0));
  for (const bad of ["256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.-4", "", "a.b.c.d"]) {
    assert.equal(parseIPv4(bad), undefined, bad);
  }
});

Deno.test("parseIPv6() accepts RFC 4291 §2.2 forms and refuses the rest", () => {
  const hex = (b: Uint8Array | undefined) => b && [...b].map((x) => x.toString(16)).join(",");
  assert.equal(hex(parseIPv6("::1")), "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1");
  assert.equal(hex(parseIPv6("::")), "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0");
  assert.equal(hex(parseIPv6("2001:DB8::8:800:200C:417A")), "20,1,d,b8,0,0,0,0,0,8,8,0,20,c,41,7a");
  assert.equal(hex(parseIPv6("::ffff:192.0.2.1")), "0,0,0,0,0,0,0,0,0,0,ff,ff,c0,0,2,1");
  assert.equal(hex(parseIPv6("::192.0.2.1")), "0,0,0,0,0,0,0,0,0,0,0,0,c0,0,2,1");
  assert.equal(hex(parseIPv6("1:2:3:4:5:6:7:8")), "0,1,0,2,0,3,0,4,0,5,0,6,0,7,0,8");
  for (
    const bad of [
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "12345::",
      "fe80::1%eth0",
      "::ffff:1.2.3",
      ":1",
      "1:",
      "1:2:3:4:5:6:7:8::",
      "g::",
    ]
  ) {
    assert.equal(parseIPv6(bad), undefined, bad);
  }
});

Deno.test("formatIPv6() writes RFC 5952 §4 text", () => {
  const f = (s: string) => formatIPv6(parseIPv6(s)!);
  assert.equal(f("2001:0db8:0000:0000:0000:0000:0002:0001"), "2001:db8::2:1");
  assert.equal(f("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1"); // §4.2.2: one zero not "::"
  assert.equal(f("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1"); // §4.2.3: first longest run
  assert.equal(f("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1"); // §4.2.3: the longest run
  assert.equal(f("::"), "::");
  assert.equal(f("::1"), "::1");
  assert.equal(f("1::"), "1::");
  assert.equal(f("2001:DB8::ABCD"), "2001:db8::abcd"); // §4.3: lower case
  assert.equal(formatIPv4(Uint8Array.of(192, 0, 2, 1)), "192.0.2.1");
});

Deno.test("reverseName() builds in-addr.arpa and ip6.arpa names", () => {
  assert.equal(reverseName("192.0.2.1"), "1.2.0.192.in-addr.arpa");
  assert.equal(
    reverseName("2001:db8::1"),
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
  );
  assert.throws(() => reverseName("example.org"), SyntaxError);
});
