/**
 * TLS in the supervisor: STARTTLS upgrades requested by real SMTP and IMAP workers with
 * `openssl s_client -starttls` as the client, the facts handed to the worker, STARTTLS
 * command injection, and implicit TLS with certificates chosen by SNI.
 */

import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { makeCert, probeWorker, startServer, TestClient } from "./_harness.ts";

const tlsYaml = (certs: { certFile: string; keyFile: string }[]) =>
  `tls:\n  certificates:\n` +
  certs.map((c) => `    - cert: ${c.certFile}\n      key: ${c.keyFile}\n`).join("");

async function opensslStartTls(
  proto: "smtp" | "imap",
  port: number,
  servername: string,
  input: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command("openssl", {
    args: [
      "s_client",
      "-starttls",
      proto,
      "-connect",
      `127.0.0.1:${port}`,
      "-servername",
      servername,
      "-brief",
      "-crlf",
      "-ign_eof",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const timer = setTimeout(() => child.kill(), 10_000);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("STARTTLS upgrade of an SMTP session works with openssl s_client -starttls smtp", async () => {
  await using server = await startServer(
    `hostname: mail.a.test
listeners:
  - name: smtp
    protocol: smtp
    addresses: ["127.0.0.1:0"]
    tls: starttls
workers: { smtp: 1, imap: 1 }
`,
    { setup: async (dir) => tlsYaml([await makeCert(dir, ["mail.a.test"])]) },
  );
  const r = await opensslStartTls(
    "smtp",
    server.port("smtp"),
    "mail.a.test",
    "EHLO client.test\nQUIT\n",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Protocol version: TLSv1\.[23]/);
  assert.match(r.stderr, /Peer certificate: CN = mail\.a\.test/);
  // After TLS the session starts over, and STARTTLS is no longer offered.
  const out = r.stdout.replaceAll("\r\n", "\n");
  assert.match(
    out,
    /^250-mail\.a\.test\n(250-[^\n]*\n)*250 [^\n]*\n221 2\.0\.0 mail\.a\.test Bye\n$/,
  );
  assert.match(out, /^250-REQUIRETLS$/m);
  assert.doesNotMatch(out, /STARTTLS/);
});

Deno.test("STARTTLS upgrade of an IMAP session works with openssl s_client -starttls imap", async () => {
  await using server = await startServer(
    `listeners:
  - name: imap
    protocol: imap
    addresses: ["127.0.0.1:0"]
    tls: starttls
workers: { smtp: 1, imap: 1 }
`,
    { setup: async (dir) => tlsYaml([await makeCert(dir, ["localhost"])]) },
  );
  const r = await opensslStartTls(
    "imap",
    server.port("imap"),
    "localhost",
    "a CAPABILITY\nb LOGOUT\n",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Protocol version: TLSv1\.[23]/);
  const stdout = r.stdout.replaceAll("\r\n", "\n");
  // After the upgrade: credentials may be sent, and STARTTLS is no longer offered.
  assert.match(stdout, /^\* CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN [^\n]*\na OK /);
  assert.doesNotMatch(stdout, /STARTTLS/);
  assert.match(stdout, /\* BYE .*\nb OK LOGOUT completed\n$/);
});

Deno.test("STARTTLS tells the worker the TLS version, cipher and SNI name", async () => {
  await using server = await startServer(
    `listeners:
  - name: probe
    protocol: smtp
    addresses: ["127.0.0.1:0"]
    tls: starttls
workers: { smtp: 1, imap: 1 }
`,
    {
      entries: { smtp: probeWorker },
      setup: async (dir) =>
        tlsYaml([await makeCert(dir, ["a.test"]), await makeCert(dir, ["b.test"])]),
    },
  );
  using client = await TestClient.connect(server.port("probe"));
  assert.match(await client.line(), /^HELLO /);
  client.send("TLS\r\n");
  assert.equal(await client.line(), "none");
  client.send("STARTTLS\r\n");
  assert.equal(await client.line(), "GO");
  const secure = await client.upgrade("b.test");
  const peer = new X509Certificate(secure.getPeerCertificate(true).raw);
  assert.match(peer.subjectAltName ?? "", /DNS:b\.test/);
  client.send("TLS\r\n");
  const facts = JSON.parse(await client.line());
  assert.equal(facts.version, secure.getProtocol());
  assert.equal(facts.cipher, secure.getCipher().name);
  assert.equal(facts.sni, "b.test");
});

Deno.test("STARTTLS discards commands pipelined before the handshake (command injection)", async () => {
  await using server = await startServer(
    `listeners:
  - name: probe
    protocol: smtp
    addresses: ["127.0.0.1:0"]
    tls: starttls
  - name: smtp
    protocol: smtp
    addresses: ["127.0.0.1:0"]
    tls: starttls
workers: { smtp: 1, imap: 1 }
`,
    {
      entries: { smtp: probeWorker },
      setup: async (dir) => tlsYaml([await makeCert(dir, ["localhost"])]),
    },
  );
  // Same segment as STARTTLS.
  {
    using client = await TestClient.connect(server.port("probe"));
    await client.line();
    client.send("STARTTLS\r\nECHO injected\r\n");
    assert.equal(await client.line(), "GO");
    await client.upgrade("localhost");
    client.send("ECHO after\r\n");
    assert.equal(await client.line(), "after");
  }
  // A separate segment, sent before the go-ahead arrived. Depending on when it lands it
  // is dropped by the worker (queued behind STARTTLS), by the supervisor (read before
  // the go-ahead was flushed), or it reaches the TLS handshake and fails it. It must
  // never be executed.
  for (let i = 0; i < 10; i++) {
    using client = await TestClient.connect(server.port("probe"));
    await client.line();
    client.socket.setNoDelay(true);
    client.send("STARTTLS\r\n");
    await new Promise((r) => setTimeout(r, i % 3));
    client.send("ECHO injected\r\n");
    assert.equal(await client.line(), "GO");
    try {
      await client.upgrade("localhost");
    } catch (err) {
      // Handshake refused: nothing was executed. A hang would be a bug.
      assert.doesNotMatch(String(err), /No TLS handshake within/);
      continue;
    }
    client.send("ECHO after\r\n");
    assert.equal(await client.line(), "after");
  }
});

Deno.test("implicit TLS selects the certificate by SNI among two, with a default", async () => {
  await using server = await startServer(
    `hostname: b.test
listeners:
  - name: tls
    protocol: submission
    addresses: ["127.0.0.1:0"]
    tls: implicit
workers: { smtp: 1, imap: 1 }
`,
    {
      entries: { smtp: probeWorker },
      setup: async (dir) =>
        tlsYaml([await makeCert(dir, ["a.test"]), await makeCert(dir, ["b.test", "*.b.test"])]),
    },
  );
  const port = server.port("tls");
  const seen = async (servername: string) => {
    using client = await TestClient.connectTls(port, servername);
    assert.match(await client.line(), /^HELLO /);
    client.send("TLS\r\n");
    const facts = JSON.parse(await client.line());
    const tlsSocket = client.socket as import("node:tls").TLSSocket;
    const san = new X509Certificate(tlsSocket.getPeerCertificate(true).raw).subjectAltName;
    // Drop the loopback IP entries every generated certificate carries.
    return { san: (san ?? "").replace(/, IP Address:.*$/, ""), sni: facts.sni as string };
  };
  assert.deepEqual(await seen("a.test"), { san: "DNS:a.test", sni: "a.test" });
  assert.deepEqual(await seen("B.TEST"), { san: "DNS:b.test, DNS:*.b.test", sni: "b.test" });
  assert.deepEqual((await seen("mail.b.test")).san, "DNS:b.test, DNS:*.b.test", "wildcard");
  // Unknown name: the certificate of the configured hostname (b.test).
  assert.deepEqual((await seen("other.test")).san, "DNS:b.test, DNS:*.b.test");
});

Deno.test("implicit TLS works with openssl s_client on IPv4 and IPv6 listeners", async () => {
  await using server = await startServer(
    `listeners:
  - name: imaps
    protocol: imap
    addresses: ["127.0.0.1:0", "[::1]:0"]
    tls: implicit
workers: { smtp: 1, imap: 1 }
`,
    {
      setup: async (dir) =>
        tlsYaml([await makeCert(dir, ["a.test"]), await makeCert(dir, ["b.test"])]),
    },
  );
  for (const host of ["127.0.0.1", "::1"]) {
    const port = server.port("imaps", host);
    const out = await new Deno.Command("openssl", {
      args: [
        "s_client",
        "-connect",
        host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`,
        "-servername",
        "b.test",
        "-brief",
        "-crlf",
        "-ign_eof",
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = out.stdin.getWriter();
    await w.write(new TextEncoder().encode("a LOGOUT\n"));
    await w.close();
    const r = await out.output();
    const stderr = new TextDecoder().decode(r.stderr);
    assert.equal(r.code, 0, stderr);
    assert.match(stderr, /Peer certificate: CN = b\.test/);
    assert.match(
      new TextDecoder().decode(r.stdout),
      /^\* OK \[CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN /,
    );
  }
});

Deno.test("a worker that writes during the TLS handshake loses the connection", async () => {
  await using server = await startServer(
    `listeners:
  - name: probe
    protocol: smtp
    addresses: ["127.0.0.1:0"]
    tls: starttls
workers: { smtp: 1, imap: 1 }
`,
    {
      entries: { smtp: probeWorker },
      setup: async (dir) => tlsYaml([await makeCert(dir, ["localhost"])]),
    },
  );
  using client = await TestClient.connect(server.port("probe"));
  await client.line();
  client.send("TLSWRITE\r\n");
  assert.equal(await client.line(), "GO");
  await client.closedWithin(2_000);
  await assert.rejects(client.line(100), /closed/, "no plaintext after the go-ahead");
});
