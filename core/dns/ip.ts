/**
 * IP address text ⇄ bytes for A and AAAA records and reverse-lookup names. Parsing is
 * strict: dotted-quad IPv4 without leading zeros, RFC 4291 §2.2 IPv6 text (with an
 * embedded IPv4 tail), no zone ids. Formatting follows RFC 5952 §4.
 */

/**
 * Parses dotted-quad IPv4 text ("192.0.2.1").
 * @returns the 4 octets, or undefined when `text` is not such an address
 */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // Leading zeros are refused: some parsers read them as octal.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/**
 * Parses IPv6 text (RFC 4291 §2.2: "2001:db8::1", "::ffff:192.0.2.1").
 * @returns the 16 octets, or undefined when `text` is not such an address
 */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (text.length > 45) return undefined;
  let head = text;
  const tail: number[] = [];
  // An embedded IPv4 address may end the text (RFC 4291 §2.2 form 3).
  const lastColon = head.lastIndexOf(":");
  if (lastColon >= 0 && head.includes(".", lastColon)) {
    const v4 = parseIPv4(head.slice(lastColon + 1));
    if (!v4) return undefined;
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    head = head.slice(0, lastColon + 1);
    // "::1.2.3.4" keeps its "::"; "::ffff:1.2.3.4" drops the separating colon.
    if (!head.endsWith("::")) head = head.slice(0, -1);
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const group = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = group(halves[0]!);
  const right = halves.length === 2 ? group(halves[1]!) : [];
  if (!left || !right) return undefined;
  right.push(...tail);
  const words = left.length + right.length;
  if (halves.length === 2 ? words > 7 : words !== 8) return undefined;
  const all = [...left, ...new Array<number>(8 - words).fill(0), ...right];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Dotted-quad text of 4 octets. */
export function formatIPv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * RFC 5952 §4 text of 16 octets: lower-case hex, no leading zeros, the longest run of
 * two or more zero groups (the first on a tie) as "::".
 */
export function formatIPv6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  let best = -1, bestLen = 1, run = -1;
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && words[i] === 0) {
      if (run < 0) run = i;
    } else if (run >= 0) {
      if (i - run > bestLen) [best, bestLen] = [run, i - run];
      run = -1;
    }
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

/**
 * The name for a reverse (PTR) lookup of an IP address: "4.3.2.1.in-addr.arpa" (RFC
 * 1035 §3.5) or the nibble form under "ip6.arpa" (RFC 3596 §2.5).
 * @throws {SyntaxError} when `ip` is not an IPv4 or IPv6 address
 */
export function reverseName(ip: string): string {
  const v4 = parseIPv4(ip);
  if (v4) return `${[...v4].reverse().join(".")}.in-addr.arpa`;
  const v6 = parseIPv6(ip);
  if (!v6) throw new SyntaxError(`Cannot make a reverse name: not an IP address: ${ip}`);
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) {
    nibbles.push((v6[i]! & 0xf).toString(16), (v6[i]! >> 4).toString(16));
  }
  return `${nibbles.join(".")}.ip6.arpa`;
}
