// One table test: every verb in every state (go-smtp testServerGreeted/testServerEhlo,
// mox TestState); and the session fuzzed with real commands in every state.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  authenticated,
  type Fixture,
  type FixtureOptions,
  greeted,
  inMail,
  inRcpt,
  plain,
  ready,
} from "./_test_session.ts";
import type { State } from "./_state.ts";

const states = ["greeted", "ready", "mail", "rcpt", "chunking"] as const satisfies State[];

async function inState(state: State, options: FixtureOptions = {}): Promise<Fixture> {
  switch (state) {
    case "greeted":
      return await greeted(options);
    case "ready":
      return await ready(options);
    case "mail":
      return await inMail(await ready(options));
    case "rcpt":
      return await inRcpt(await ready(options));
    case "chunking": {
      const f = await inRcpt(await ready(options));
      await f.send("BDAT 3\r\nabc");
      await f.run("S: 250 2.0.0");
      return f;
    }
  }
}

interface Expect {
  replies: string[];
  closes?: boolean;
  startsTls?: boolean;
}
type Row = Record<State, Expect>;

const r = (...replies: string[]): Expect => ({ replies });
const seq = r("503 5.5.1");
/** The same reply in every state but chunking, where it is out of sequence. */
const outsideBdat = (e: Expect): Row => ({
  greeted: e,
  ready: e,
  mail: e,
  rcpt: e,
  chunking: seq,
});
const ehlo = r("250-mail.example.org", ...Array(9).fill("250-*"), "250 *");

const table: Record<string, Row> = {
  "EHLO client.example.com": outsideBdat(ehlo),
  "HELO client.example.com": outsideBdat(r("250 mail.example.org")),
  "MAIL FROM:<a@remote.example>": {
    greeted: seq,
    ready: r("250 2.1.0"),
    mail: seq,
    rcpt: seq,
    chunking: seq,
  },
  "RCPT TO:<bob@example.org>": {
    greeted: seq,
    ready: seq,
    mail: r("250 2.1.5"),
    rcpt: r("250 2.1.5"),
    chunking: seq,
  },
  "DATA": { greeted: seq, ready: seq, mail: r("554 5.5.1"), rcpt: r("354"), chunking: seq },
  "BDAT 0 LAST": {
    greeted: seq,
    ready: seq,
    mail: r("554 5.5.1"),
    rcpt: r("250 2.0.0"),
    chunking: r("250 2.0.0"),
  },
  "RSET": outsideBdat(r("250 2.0.0")),
  "NOOP": outsideBdat(r("250 2.0.0")),
  "VRFY bob": outsideBdat(r("252 2.5.0")),
  "EXPN staff": outsideBdat(r("252 2.5.0")),
  "HELP": outsideBdat(r("214 2.0.0")),
  "STARTTLS": {
    greeted: seq,
    ready: { replies: ["220 2.0.0"], startsTls: true },
    mail: seq,
    rcpt: seq,
    chunking: seq,
  },
  [`AUTH PLAIN ${plain("alice", "secret")}`]: {
    greeted: seq,
    ready: r("502 5.5.1"),
    mail: seq,
    rcpt: seq,
    chunking: seq,
  },
  "ETRN example.org": outsideBdat(r("500 5.5.2")),
  "TURN": outsideBdat(r("500 5.5.2")),
};
table["RSET"]!.chunking = r("250 2.0.0");
table["NOOP"]!.chunking = r("250 2.0.0");
table["ETRN example.org"]!.chunking = r("500 5.5.2");
table["TURN"]!.chunking = r("500 5.5.2");
// An unknown first command closes the connection (STYLE.md §13).
table["ETRN example.org"]!.greeted = { replies: ["500 5.5.2"], closes: true };
table["TURN"]!.greeted = { replies: ["500 5.5.2"], closes: true };
table["QUIT"] = outsideBdat({ replies: ["221 2.0.0"], closes: true });
table["QUIT"].chunking = { replies: ["221 2.0.0"], closes: true };

Deno.test("SmtpSession.receive() answers every verb in every state", async (t) => {
  for (const state of states) {
    for (const [line, row] of Object.entries(table)) {
      await t.step(`${state}: ${line}`, async () => {
        const expect = row[state];
        const f = await inState(state);
        await f.run([`C: ${line}`, ...expect.replies.map((x) => `S: ${x}`)].join("\n"));
        assert.equal(f.conn.closed, expect.closes ?? false);
        assert.equal(f.conn.startTlsCalls.length, expect.startsTls ? 1 : 0);
      });
    }
  }
});

const encoder = new TextEncoder();

const realCommands = [
  "EHLO client.example.com",
  "HELO client.example.com",
  "EHLO",
  "STARTTLS",
  "STARTTLS x",
  "NOOP",
  "RSET",
  "QUIT",
  "MAIL FROM:<alice@example.org>",
  "MAIL FROM:<a@remote.example> BODY=BINARYMIME SIZE=10",
  "RCPT TO:<bob@example.org>",
  "RCPT TO:<nobody@example.org>",
  "RCPT TO:<x@remote.example>",
  "DATA",
  "BDAT 10 LAST",
  "BDAT 3",
  "AUTH PLAIN AGFsaWNlAHNlY3JldA==",
  "AUTH LOGIN",
  "AUTH SCRAM-SHA-256",
  "*",
  ".",
  "GET / HTTP/1.1",
  `MAIL FROM:<a@b.example> ${"X".repeat(600)}=1`,
  `RCPT TO:<${"ä".repeat(200)}@example.org>`,
  "",
];

/** Chunks of bytes: real command lines, their pieces, and noise. */
const chunks = fc.array(
  fc.oneof(
    fc.constantFrom(...realCommands).map((c) => encoder.encode(c + "\r\n")),
    fc.constantFrom(...realCommands).map((c) => encoder.encode(c)),
    fc.constantFrom("\r\n", "\n", "\r", " ", "\r\n.\r\n", "\n.\n").map((c) => encoder.encode(c)),
    fc.string({ unit: "binary", maxLength: 40 }).map((s) => encoder.encode(s)),
    fc.uint8Array({ maxLength: 80 }),
    fc.integer({ min: 400, max: 5000 }).map((n) => new Uint8Array(n).fill(0x61)),
  ),
  { maxLength: 40 },
);

const replyLine = /^[2-5]\d\d[ -]/;

Deno.test("SmtpSession.receive() never throws and replies only well-formed lines", async () => {
  const setups: [string, () => Promise<Fixture>][] = [
    ...states.map((s) => [s, () => inState(s)] as [string, () => Promise<Fixture>]),
    ["pedantic", () => inState("rcpt", { session: { pedantic: true } })],
    ["tls fails", () => ready({ conn: { handshake: new Error("handshake failed") } })],
    ["submission", () => authenticated()],
    ["no domains", () => ready({ backend: { domains: undefined } })],
  ];
  for (const [name, setup] of setups) {
    await fc.assert(
      fc.asyncProperty(chunks, async (input) => {
        const f = await setup();
        // Like the runtime, deliver nothing once the session closed the connection.
        for (const chunk of input) {
          if (f.conn.closed) break;
          await f.send(chunk);
        }
        const out = f.conn.unread();
        assert.ok(out === "" || out.endsWith("\r\n"), `${name}: output ends in CRLF`);
        for (const line of out.split("\r\n").slice(0, -1)) assert.match(line, replyLine, name);
        assert.equal(f.conn.writtenAfterClose, "");
      }),
      { numRuns: 60 },
    );
  }
});
