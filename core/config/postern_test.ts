import assert from "node:assert/strict";
import {
  describe,
  formatProblem,
  type LogLevel,
  parseListenAddress,
  parsePosternConfig,
  type PosternConfig,
  posternSchema,
} from "./mod.ts";

// Compile-time checks that Infer<> gives precise types, not unknown.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
const typeChecks: [
  Equal<PosternConfig["limits"]["idleTimeout"], number>,
  Equal<PosternConfig["listeners"][number]["tls"], "none" | "starttls" | "implicit">,
  Equal<PosternConfig["log"]["packages"], Record<string, LogLevel>>,
  Equal<PosternConfig["tls"]["certificates"][number]["hostnames"], string[]>,
  Equal<PosternConfig["tls"]["selfSigned"], boolean>,
] = [true, true, true, true, true];

const REGENERATE = "deno run -A main.ts config describe postern > config/postern.yaml";

function problems(text: string): string[] {
  const r = parsePosternConfig(text, "postern.yaml");
  assert.equal(r.value, undefined);
  return r.problems.map(formatProblem);
}

Deno.test("PosternConfig is inferred with precise field types", () => {
  assert.deepEqual(typeChecks, [true, true, true, true, true]);
});

Deno.test("config/postern.yaml equals describe(posternSchema)", async () => {
  const file = await Deno.readTextFile(new URL("../../config/postern.yaml", import.meta.url));
  assert.ok(
    file === describe(posternSchema),
    `config/postern.yaml is out of date with posternSchema; regenerate it: ${REGENERATE}`,
  );
});

Deno.test("parsePosternConfig() accepts describe() output, cross checks included", () => {
  const r = parsePosternConfig(describe(posternSchema), "postern.yaml");
  assert.deepEqual(r.problems, []);
  assert.equal(r.value?.listeners[0]?.addresses[1], "[::]:25");
  assert.deepEqual(r.value?.log.packages, { smtp: "debug" });
});

Deno.test("parsePosternConfig() fills defaults for an empty file", () => {
  const r = parsePosternConfig("", "postern.yaml");
  assert.deepEqual(r.value, {
    hostname: "localhost",
    dataDir: "data",
    controlSocket: "",
    log: { level: "info", packages: {} },
    tls: { certificates: [], selfSigned: false, minVersion: "TLSv1.2" },
    listeners: [],
    limits: {
      maxConnections: 2000,
      perIpConnections: 20,
      perIpRatePerMinute: 120,
      idleTimeout: 300_000,
      sessionTimeout: 3_600_000,
    },
    workers: { smtp: 0, imap: 0, http: 1, heartbeat: 5_000 },
    shutdown: { deadline: 10_000 },
  });
});

Deno.test("parsePosternConfig() reads listeners with their defaults", () => {
  const text = `tls:
  selfSigned: true
listeners:
  - name: submission
    protocol: submission
    addresses: ["127.0.0.1:587", "[::1]:587", "localhost:1587"]
  - name: imaps
    protocol: imap
    addresses: ["0.0.0.0:993"]
    tls: implicit
    idleTimeout: 30m
`;
  const r = parsePosternConfig(text, "postern.yaml");
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.value?.listeners, [
    {
      name: "submission",
      protocol: "submission",
      addresses: ["127.0.0.1:587", "[::1]:587", "localhost:1587"],
      tls: "starttls",
      idleTimeout: 0,
      requireTls: false,
      pedantic: false,
      maxMessageSize: 52_428_800,
    },
    {
      name: "imaps",
      protocol: "imap",
      addresses: ["0.0.0.0:993"],
      tls: "implicit",
      idleTimeout: 1_800_000,
      requireTls: false,
      pedantic: false,
      maxMessageSize: 52_428_800,
    },
  ]);
});

Deno.test("parsePosternConfig() reports schema problems with field paths and lines", () => {
  const text = `hostname: mail.example.org
log:
  level: verbose
listeners:
  - name: Smtp
    protocol: smtp
    addresses: ["0.0.0.0:25", "0.0.0.0:70000", "25"]
    tls: none
  - protocol: imap
    addresses: []
    tls: none
limits:
  maxConections: 10
workers:
  heartbeat: 5
`;
  assert.deepEqual(problems(text), [
    'postern.yaml:3: log.level: Expected one of error, warn, info, debug, trace, traceauth, tracedata; got "verbose"',
    "postern.yaml:5: listeners[0].name: Must start with a lowercase letter and contain only a-z, 0-9 and -",
    "postern.yaml:7: listeners[0].addresses[1]: Expected host:port or [IPv6]:port with a port from 0 to 65535",
    "postern.yaml:7: listeners[0].addresses[2]: Expected host:port or [IPv6]:port with a port from 0 to 65535",
    "postern.yaml:9: listeners[1].name: Missing required field",
    "postern.yaml:10: listeners[1].addresses: Must not be empty",
    "postern.yaml:13: limits.maxConections: Unknown field; did you mean maxConnections?",
    'postern.yaml:15: workers.heartbeat: Duration "5" needs a unit: use whole numbers with units h, m, s or ms, like 30s or 1h30m',
  ]);
});

Deno.test("parsePosternConfig() reports duplicate listener names and addresses", () => {
  const text = `listeners:
  - name: smtp
    protocol: smtp
    addresses: ["0.0.0.0:25"]
    tls: none
  - name: smtp
    protocol: submission
    addresses:
      - "[::]:587"
      - 0.0.0.0:25
    tls: none
`;
  assert.deepEqual(problems(text), [
    "postern.yaml:6: listeners[1].name: Duplicate listener name; first used on line 2",
    "postern.yaml:10: listeners[1].addresses[1]: Address already used by listener smtp",
  ]);
});

Deno.test("parsePosternConfig() requires a certificate for TLS listeners", () => {
  const text = `listeners:
  - name: smtp
    protocol: smtp
    addresses: ["0.0.0.0:25"]
  - name: imaps
    protocol: imap
    addresses: ["0.0.0.0:993"]
    tls: implicit
  - name: web
    protocol: http
    addresses: ["0.0.0.0:80"]
    tls: none
`;
  assert.deepEqual(problems(text), [
    "postern.yaml:2: listeners[0].tls: TLS (starttls) needs a certificate: set tls.certificates or tls.selfSigned: true",
    "postern.yaml:8: listeners[1].tls: TLS (implicit) needs a certificate: set tls.certificates or tls.selfSigned: true",
  ]);
  const selfSigned = parsePosternConfig(`tls: {selfSigned: true}\n${text}`, "postern.yaml");
  assert.deepEqual(selfSigned.problems, []);
  const withCert = parsePosternConfig(
    `tls:\n  certificates:\n    - {cert: a.pem, key: b.pem}\n${text}`,
    "postern.yaml",
  );
  assert.deepEqual(withCert.problems, []);
  assert.deepEqual(withCert.value?.tls.certificates, [{
    cert: "a.pem",
    key: "b.pem",
    hostnames: [],
  }]);
});

Deno.test("parsePosternConfig() rejects an address without host, and STARTTLS on HTTP", () => {
  const text =
    "tls: {selfSigned: true}\nlisteners:\n  - {name: web, protocol: http, addresses: [':80']}\n";
  assert.deepEqual(problems(text), [
    "postern.yaml:3: listeners[0].addresses[0]: Expected host:port or [IPv6]:port with a port from 0 to 65535",
  ]);
  const text2 =
    "tls: {selfSigned: true}\nlisteners:\n  - {name: web, protocol: http, addresses: ['[::]:80']}\n";
  assert.deepEqual(problems(text2), [
    "postern.yaml:3: listeners[0].tls: HTTP has no STARTTLS: use tls: none or implicit",
  ]);
});

Deno.test("parseListenAddress() accepts host:port and [IPv6]:port only", () => {
  assert.deepEqual(parseListenAddress("0.0.0.0:25"), { host: "0.0.0.0", port: 25 });
  assert.deepEqual(parseListenAddress("[::]:25"), { host: "::", port: 25 });
  assert.deepEqual(parseListenAddress("127.0.0.1:0"), { host: "127.0.0.1", port: 0 });
  assert.deepEqual(parseListenAddress("[fe80::1%eth0]:143"), { host: "fe80::1%eth0", port: 143 });
  assert.deepEqual(parseListenAddress("mail.example.org:65535"), {
    host: "mail.example.org",
    port: 65535,
  });
  for (
    const bad of [
      "25",
      ":25",
      "::1:25",
      "[::1]",
      "1.2.3.4:65536",
      "256.1.1.1:25",
      "1.2.3:25",
      "[1.2.3.4]:25",
      "a_b:25",
      "-a:25",
    ]
  ) {
    assert.equal(parseListenAddress(bad), undefined, bad);
  }
});
