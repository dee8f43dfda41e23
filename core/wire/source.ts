/**
 * The unit limits are counted in: an IPv4 address, or the /64 of an IPv6 address (one
 * customer's allocation; per-address limits are useless against a /64).
 */

/** The key limits are counted under: IPv4 address, or the /64 of an IPv6 address. */
export function sourceKey(address: string): string {
  const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4mapped?.[1]) return v4mapped[1];
  if (!address.includes(":")) return address;
  // Expand "::" to get the first four 16-bit groups.
  const [head = "", tail] = address.toLowerCase().split("::", 2);
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = Math.max(0, 8 - headGroups.length - tailGroups.length);
  const groups = [...headGroups, ...Array<string>(missing).fill("0"), ...tailGroups];
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":") + "::/64";
}
