/**
 * Listener settings from postern.yaml reach the SMTP sessions: maxMessageSize (SIZE),
 * pedantic, requireTls.
 */
import assert from "node:assert/strict";
import { parseDomainsConfig } from "../core/config/mod.ts";
import { domainsYaml } from "./_smtp_server.ts";
import { makeCert, startServer, TestClient } from "./_harness.ts";

const yaml = `hostname: mail.example.org
dataDir: data
listeners:
  - name: strict
    protocol: smtp
    addresses:
      - 127.0.0.1:0
    tls: starttls
    pedantic: true
    requireTls: true
    maxMessageSize: 1MB
  - name: fussy
    protocol: smtp
    addresses:
      - 127.0.0.1:0
    tls: none
    pedantic: true
  - name: relaxed
    protocol: smtp
    addresses:
      - 127.0.0.1:0
    tls: none
workers:
  smtp: 1
  imap: 1
`;

async function ehlo(c: TestClient): Promise<string[]> {
  c.send("EHLO client.example.org\r\n");
  const lines: string[] = [];
  for (;;) {
    const line = await c.line();
    lines.push(line);
    if (!line.startsWith("250-")) return lines;
  }
}

Deno.test("SMTP listener settings: SIZE, pedantic and requireTls come from postern.yaml", async () => {
  await using server = await startServer(yaml, {
    setup: async (dir) => {
      const cert = await makeCert(dir, ["mail.example.org"]);
      return `tls:\n  certificates:\n    - cert: ${cert.certFile}\n      key: ${cert.keyFile}\n`;
    },
  });
  await server.sup.setDomains(parseDomainsConfig(domainsYaml, "domains.yaml").value!);

  using strict = await TestClient.connect(server.port("strict"));
  assert.match(await strict.line(), /^220 /);
  assert.ok((await ehlo(strict)).includes("250-SIZE 1048576"));
  // requireTls: no mail before STARTTLS (RFC 3207 §4: 530 5.7.0).
  strict.send("MAIL FROM:<bob@example.net>\r\n");
  assert.match(await strict.line(), /^530 5\.7\.0 /);

  using relaxed = await TestClient.connect(server.port("relaxed"));
  assert.match(await relaxed.line(), /^220 /);
  assert.ok((await ehlo(relaxed)).includes("250-SIZE 52428800"));
  using fussy = await TestClient.connect(server.port("fussy"));
  assert.match(await fussy.line(), /^220 /);
  await ehlo(fussy);
  fussy.send("MAIL FROM: <bob@example.net>\r\n");
  assert.match(await fussy.line(), /^501 5\.5\.2 /);

  // Not pedantic: a space after "MAIL FROM:" is accepted.
  relaxed.send("MAIL FROM: <bob@example.net>\r\n");
  assert.match(await relaxed.line(), /^250 /);
});
