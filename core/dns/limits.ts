/**
 * Every limit and default of the DNS resolver, with its RFC reference and reason. The
 * wire codec enforces the name limits on what it reads and writes; the resolver applies
 * the rest.
 */

/** Limits of DNS names, messages and the resolver's defaults. */
export const dnsLimits = {
  /**
   * Longest name in wire form, length octets and the root label included. RFC 1035
   * §2.3.4: "names - 255 octets or less".
   */
  nameOctets: 255,
  /** Longest label. RFC 1035 §2.3.4: "labels - 63 octets or less". */
  labelOctets: 63,
  /**
   * UDP payload size we advertise in EDNS0 (RFC 6891 §6.2.5). 1232 is the DNS Flag Day
   * 2020 value: it fits an IPv6 packet on a 1280-octet MTU, so replies are not
   * fragmented (fragments are spoofable); larger answers come back with TC=1 and are
   * asked again over TCP.
   */
  udpPayloadOctets: 1232,
  /**
   * Largest DNS message we take from a transport. RFC 1035 §4.2.2 frames TCP messages
   * with a 16-bit length; a UDP datagram cannot be larger either.
   */
  messageOctets: 65535,
  /**
   * Most CNAME records followed inside one answer. RFC 1034 §3.6.2 forbids chains of
   * aliases in principle but resolvers follow them. Real chains have one to three
   * links; the bound keeps a hostile answer from making us loop, and a longer chain is
   * treated as a malformed answer.
   */
  cnameChain: 8,
  /** Default time to wait for one reply, in milliseconds (glibc's default is 5 s). */
  timeoutMs: 2000,
  /**
   * Default number of rounds over the name server list (resolv.conf `attempts`; RFC
   * 1035 §7.2 asks for retransmission with a bounded number of tries).
   */
  attempts: 2,
  /** Default most entries in the answer cache; the least recently used go first. */
  cacheEntries: 10_000,
  /** Default shortest time an answer is cached, in seconds (0: as the zone says). */
  minTtl: 0,
  /**
   * Default longest time an answer is cached, in seconds. RFC 2181 §8 allows TTLs up to
   * 2^31-1; a day bounds how long a stale record can outlive a change.
   */
  maxTtl: 86_400,
  /**
   * Longest time a negative answer (NXDOMAIN, no data) is cached, in seconds. RFC 2308
   * §5: "values of one to three hours have been found to work well".
   */
  maxNegativeTtl: 3600,
} as const;
