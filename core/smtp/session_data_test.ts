// DATA, BDAT, delivery, SMTP smuggling and pipelining through the session.
import assert from "node:assert/strict";
import fc from "fast-check";
import { testTlsFacts } from "../wire/_test_conn.ts";
import {
  authenticated,
  connected,
  type FixtureOptions,
  inRcpt,
  ready,
  testNow,
} from "./_test_session.ts";

const message = "From: sender@remote.example\r\nSubject: hi\r\n\r\nHello\r\n";

Deno.test("SmtpSession DATA delivers with a Received field and replies 250", async () => {
  const f = await inRcpt(await ready());
  await f.run("C: DATA\nS: 354");
  await f.send(message + ".\r\n");
  await f.run("S: 250 2.0.0\nC: NOOP\nS: 250 2.0.0");
  const [d] = f.backend.delivered;
  assert.ok(d);
  assert.deepEqual(d.accounts, ["bob"]);
  assert.equal(d.text, message);
  assert.equal(
    d.prefix,
    "Received: from client.example.com ([192.0.2.1])\r\n" +
      "\tby mail.example.org (Postern) with ESMTP id test1.1\r\n" +
      "\tfor <bob@example.org>; Tue, 2 Jan 2024 03:04:05 +0000\r\n",
  );
  assert.deepEqual(d.facts, {
    remoteIp: "192.0.2.1",
    ehlo: "client.example.com",
    mailFrom: "sender@remote.example",
    rcptTo: "bob@example.org",
  });
  assert.equal(f.session.state, "ready");
});

Deno.test("SmtpSession DATA writes TLS facts into Received and omits for with several recipients", async () => {
  const f = await ready({ conn: { tlsMode: "implicit", tls: testTlsFacts } });
  await f.run(`
    C: MAIL FROM:<>
    S: 250 2.1.0
    C: RCPT TO:<alice@example.org>
    S: 250 2.1.5
    C: RCPT TO:<bob@example.org>
    S: 250 2.1.5
    C: DATA
    S: 354
  `);
  await f.send(".\r\n");
  await f.run("S: 250 2.0.0");
  const [d] = f.backend.delivered;
  assert.deepEqual(d?.accounts, ["alice", "bob"]);
  assert.equal(
    d?.prefix,
    "Received: from client.example.com ([192.0.2.1])\r\n" +
      "\tby mail.example.org (Postern) with ESMTPS id test1.1\r\n" +
      "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384); Tue, 2 Jan 2024 03:04:05 +0000\r\n",
  );
  assert.equal(d?.text, "");
  assert.deepEqual(d?.facts.tls, { version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384" });
});

Deno.test("SmtpSession DATA refuses out of sequence, BINARYMIME, and a message past the size", async () => {
  const f = await ready({ session: { maxMessageSize: 10 } });
  await f.run(`
    C: DATA
    S: 503 5.5.1
    C: MAIL FROM:<a@remote.example> BODY=BINARYMIME
    S: 250 2.1.0
    C: RCPT TO:<bob@example.org>
    S: 250 2.1.5
    C: DATA
    S: 503 5.5.1
    C: RSET
    S: 250 2.0.0
    C: MAIL FROM:<a@remote.example>
    S: 250 2.1.0
    C: RCPT TO:<bob@example.org>
    S: 250 2.1.5
    C: DATA
    S: 354
  `);
  await f.send("01234567890\r\n.\r\nNOOP\r\n");
  await f.run("S: 552 5.3.4\nS: 250 2.0.0");
  assert.equal(f.backend.delivered.length, 0);
});

Deno.test("SmtpSession DATA detects a mail loop past 100 Received fields", async () => {
  for (const [n, reply] of [[100, "250 2.0.0"], [101, "554 5.4.6"]] as const) {
    const f = await inRcpt(await ready());
    await f.run("C: DATA\nS: 354");
    await f.send("Received: x\r\n".repeat(n) + "\r\nbody\r\n.\r\n");
    await f.run(`S: ${reply}`);
  }
});

// SMTP smuggling (mox TestSmuggle; the 2023 SEC Consult cases): a "." line with a bare
// CR or LF on either side must not end the data. Each attempt smuggles a second
// transaction; it is read as data, the real end comes after it, the message is refused
// and nothing is delivered, and the session is still in step.
const smuggled = "MAIL FROM:<admin@example.org>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n" +
  "Subject: forged\r\n\r\nforged\r\n";
for (
  const [name, end] of Object.entries({
    "\\n.\\n": "\n.\n",
    "\\r\\n.\\n": "\r\n.\n",
    "\\n.\\r\\n": "\n.\r\n",
    "\\r.\\r\\n": "\r.\r\n",
    "\\r\\n.\\r": "\r\n.\r",
    "\\r\\n.\\rX\\r\\n": "\r\n.\rX\r\n",
  })
) {
  Deno.test(`SMTP smuggling: ${name} does not end DATA and the message is refused`, async () => {
    const f = await inRcpt(await ready());
    await f.run("C: DATA\nS: 354");
    await f.send(`Subject: hi\r\n\r\nbody${end}${smuggled}.\r\nNOOP\r\n`);
    await f.run("S: 554 5.5.2\nS: 250 2.0.0\nC: RCPT TO:<bob@example.org>\nS: 503 5.5.1");
    assert.equal(f.backend.delivered.length, 0);
    assert.match(f.conn.output, /smuggling/i);
  });
}

Deno.test("SmtpSession DATA refuses bare LF and bare CR in the message", async () => {
  for (const body of ["a\nb\r\n", "a\rb\r\n"]) {
    const f = await inRcpt(await ready());
    await f.run("C: DATA\nS: 354");
    await f.send(`${body}.\r\n`);
    await f.run("S: 554 5.5.2\nC: NOOP\nS: 250 2.0.0");
    assert.equal(f.backend.delivered.length, 0);
  }
});

Deno.test("SmtpSession pipelining: commands in one chunk are answered in order", async () => {
  const f = await ready();
  await f.send(
    "MAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@example.org>\r\n" +
      "RCPT TO:<nobody@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n",
  );
  await f.run("S: 250 2.1.0\nS: 250 2.1.5\nS: 550 5.1.1\nS: 250 2.1.5\nS: 354");
  await f.send(`${message}.\r\nMAIL FROM:<b@remote.example>\r\nRCPT TO:<bob@example.org>\r\n`);
  await f.run("S: 250 2.0.0\nS: 250 2.1.0\nS: 250 2.1.5");
  await f.send("BDAT 5 LAST\r\nhello");
  await f.run("S: 250 2.0.0\nC: QUIT\nS: 221 2.0.0");
  assert.deepEqual(f.backend.delivered.map((d) => d.text), [message, "hello"]);
});

Deno.test("SmtpSession BDAT delivers chunks, also BINARYMIME and a zero LAST chunk", async () => {
  const f = await ready();
  await f.run(`
    C: MAIL FROM:<a@remote.example> BODY=BINARYMIME
    S: 250 2.1.0
    C: RCPT TO:<bob@example.org>
    S: 250 2.1.5
  `);
  await f.send("BDAT 6\r\nab\r\n.\n");
  await f.run("S: 250 2.0.0\nC: MAIL FROM:<a@remote.example>\nS: 503 5.5.1");
  await f.send(Uint8Array.of(...new TextEncoder().encode("BDAT 3\r\n"), 0, 0xff, 0x0d));
  await f.run("S: 250 2.0.0\nC: BDAT 0 LAST\nS: 250 2.0.0");
  assert.equal(f.backend.delivered[0]?.text, "ab\r\n.\n\0\ufffd\r");
  assert.equal(f.session.state, "ready");
});

Deno.test("SmtpSession BDAT out of sequence reads and discards its chunk", async () => {
  const f = await ready();
  await f.send("BDAT 15\r\nRCPT TO:<x@y>\r\nNOOP\r\n");
  await f.run("S: 503 5.5.1\nS: 250 2.0.0");
  await f.run("C: MAIL FROM:<a@remote.example>\nS: 250 2.1.0");
  await f.send("BDAT 6 LAST\r\nQUIT\r\n");
  await f.run("S: 554 5.5.1\nC: NOOP\nS: 250 2.0.0");
  assert.ok(!f.conn.closed);
});

Deno.test("SmtpSession BDAT past the size limit is discarded, refused and ends the transaction", async () => {
  const f = await inRcpt(await ready({ session: { maxMessageSize: 8 } }));
  await f.send("BDAT 5\r\n12345");
  await f.run("S: 250 2.0.0");
  await f.send("BDAT 5\r\n67890BDAT 1 LAST\r\nx");
  await f.run("S: 552 5.3.4\nS: 503 5.5.1\nC: NOOP\nS: 250 2.0.0");
  assert.equal(f.backend.delivered.length, 0);
});

Deno.test("SmtpSession delivery accepts when some accounts fail and 4xx when all do", async () => {
  const cases: [FixtureOptions, string][] = [
    [{ backend: { full: ["alice"] } }, "250 2.0.0"],
    [{ backend: { full: ["alice", "bob"] } }, "452 4.2.2"],
    [{ backend: { deliverError: "Unavailable" } }, "451 4.3.0"],
  ];
  for (const [options, expected] of cases) {
    const f = await ready(options);
    await f.run(`
      C: MAIL FROM:<a@remote.example>
      S: 250 2.1.0
      C: RCPT TO:<team@example.org>
      S: 250 2.1.5
      C: DATA
      S: 354
    `);
    await f.send(".\r\n");
    await f.run(`S: ${expected}`);
  }
});

Deno.test("SmtpSession delivery follows the inbound verifier", async () => {
  const f = await inRcpt(
    await ready({
      backend: {
        verifier: {
          verify: (input) =>
            Promise.resolve(
              input.mailFrom === "spam@remote.example"
                ? { header: "", facts: {}, reject: "dmarc" }
                : {
                  header: "Authentication-Results: mail.example.org; spf=pass\r\n",
                  facts: { spfDomain: "remote.example" },
                  mailbox: "Junk",
                },
            ),
        },
      },
    }),
  );
  await f.run("C: DATA\nS: 354");
  await f.send(".\r\n");
  await f.run("S: 250 2.0.0");
  const [d] = f.backend.delivered;
  assert.match(d?.prefix ?? "", /\r\nAuthentication-Results: mail\.example\.org; spf=pass\r\n$/);
  assert.equal(d?.facts.spfDomain, "remote.example");
  assert.equal(d?.mailbox, "Junk");
  await inRcpt(f, "spam@remote.example");
  await f.run("C: DATA\nS: 354");
  await f.send(".\r\n");
  await f.run("S: 550 5.7.26");
});

Deno.test("SmtpSession on submission adds Date and Message-ID and checks From", async () => {
  const f = await authenticated();
  const send = async (msg: string, reply: string) => {
    await inRcpt(f, "alice@example.org");
    await f.run("C: DATA\nS: 354");
    await f.send(msg + ".\r\n");
    await f.run(`S: ${reply}`);
  };
  await send("Subject: no from\r\n\r\n", "550 5.7.1");
  await send("From: bob@example.org\r\n\r\n", "550 5.7.1");
  await send("From: a@x.example\r\nFrom: alice@example.org\r\n\r\n", "550 5.7.1");
  await send('From: "Bob <bob@example.org>" (x) <alice@example.org>\r\n\r\n', "250 2.0.0");
  await send(
    "From: Alice\r\n <ALICE@example.org>\r\nDate: x\r\nMessage-ID: <1@x>\r\n\r\n",
    "250 2.0.0",
  );
  const [added, kept] = f.backend.delivered.map((d) => d.prefix);
  assert.match(added ?? "", /with ESMTPSA id /);
  assert.match(added ?? "", /\r\nDate: Tue, 2 Jan 2024 03:04:05 \+0000\r\n/);
  assert.match(added ?? "", /\r\nMessage-ID: <[0-9a-f-]+@mail\.example\.org>\r\n$/);
  assert.doesNotMatch(kept ?? "", /Date:|Message-ID:/);
  assert.equal(testNow.getTime(), Date.parse("2024-01-02T03:04:05Z"));
});

/** A session transcript as raw client bytes: pipelined commands, DATA and BDAT. */
const transcriptBytes = new TextEncoder().encode(
  "EHLO client.example.com\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<bob@example.org>\r\n" +
    "RCPT TO:<nobody@example.org>\r\nDATA\r\n" +
    "Subject: one\r\n\r\n..dot\r\n.\r\n" +
    "MAIL FROM:<b@remote.example>\r\nRCPT TO:<alice@example.org>\r\nBDAT 7\r\nchunk\r\n" +
    "BDAT 4 LAST\r\n1234NOOP\r\nRSET\r\nVRFY x\r\nQUIT\r\n",
);

async function replay(chunks: Uint8Array[]): Promise<[string, string[]]> {
  const f = connected();
  await f.session.start();
  for (const c of chunks) if (!f.conn.closed) await f.send(c);
  return [f.conn.output.replace(/test1\.\d+/g, "ID"), f.backend.delivered.map((d) => d.text)];
}

Deno.test("SmtpSession.receive() gives the same replies for any chunking of the input", async () => {
  const whole = await replay([transcriptBytes]);
  assert.equal(whole[1].length, 2);
  assert.match(whole[0], /221 2\.0\.0/);
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.integer({ min: 1, max: transcriptBytes.length - 1 }), { maxLength: 30 }),
      async (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), transcriptBytes.length];
        const chunks = points.slice(1).map((end, i) => transcriptBytes.subarray(points[i], end));
        assert.deepEqual(await replay(chunks), whole);
      },
    ),
    { numRuns: 200 },
  );
  // One byte per chunk, too.
  const bytes = [...transcriptBytes].map((b) => Uint8Array.of(b));
  assert.deepEqual(await replay(bytes), whole);
});
