import assert from "node:assert/strict";
import fc from "fast-check";
import { ScramTestClient, type TestClientOptions } from "./_test_client.ts";
import { encodeBase64, tryDecodeBase64 } from "./base64.ts";
import {
  type Credentials,
  deriveCredentials,
  scramCredential,
  scramCredentialFromPassword,
} from "./credentials.ts";
import { authLimits } from "./limits.ts";
import {
  type ChannelBinding,
  parseScramMechanism,
  SaslError,
  type SaslErrorCode,
  type ScramHash,
  scramMechanismName,
  ScramServer,
  type ScramServerOptions,
} from "./scram.ts";

const encoder = new TextEncoder();
const iterations = authLimits.minIterations; // keep the suite fast

// One account per hash, derived once: "user" / "pencil".
const users = new Map<string, Credentials>();
users.set("user", await deriveCredentials("pencil", { iterations }));
users.set("a,b=c", await deriveCredentials("secret", { iterations }));

const exporter: ChannelBinding = {
  type: "tls-exporter",
  data: crypto.getRandomValues(new Uint8Array(32)),
};
const endPoint: ChannelBinding = {
  type: "tls-server-end-point",
  data: crypto.getRandomValues(new Uint8Array(32)),
};

function server(
  hash: ScramHash,
  extra: Partial<Omit<ScramServerOptions, "hash" | "lookup">> = {},
): ScramServer {
  return new ScramServer({
    hash,
    plus: false,
    lookup: (name, h) => {
      const creds = users.get(name);
      return Promise.resolve(creds && scramCredential(creds, h));
    },
    ...extra,
  });
}

async function exchange(
  s: ScramServer,
  client: TestClientOptions,
): Promise<{ username: string; verified: boolean }> {
  const c = new ScramTestClient(client);
  const serverFirst = await s.start(c.first());
  const { serverFinal, username } = await s.finish(await c.final(serverFirst));
  return { username, verified: c.verify(serverFinal) };
}

async function rejects(p: Promise<unknown>, code: SaslErrorCode): Promise<SaslError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SaslError, `expected SaslError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, /^Cannot [a-z]/);
  return caught;
}

async function rfcExample(
  hash: ScramHash,
  password: string,
  salt: string,
  clientNonce: string,
  serverNonce: string,
  proof: string,
  signature: string,
): Promise<void> {
  const cred = await scramCredentialFromPassword(
    password,
    hash,
    tryDecodeBase64(salt)!,
    4096,
  );
  const s = new ScramServer({
    hash,
    plus: false,
    lookup: (name) => Promise.resolve(name === "user" ? cred : undefined),
    nonce: () => serverNonce,
  });
  const client = new ScramTestClient({ hash, username: "user", password, clientNonce });
  const clientFirst = `n,,n=user,r=${clientNonce}`;
  assert.equal(client.first(), clientFirst);
  const serverFirst = await s.start(clientFirst);
  assert.equal(serverFirst, `r=${clientNonce}${serverNonce},s=${salt},i=4096`);
  const clientFinal = `c=biws,r=${clientNonce}${serverNonce},p=${proof}`;
  assert.equal(await client.final(serverFirst), clientFinal);
  const result = await s.finish(clientFinal);
  assert.deepEqual(result, { serverFinal: `v=${signature}`, username: "user" });
  assert.ok(client.verify(result.serverFinal));
}

Deno.test("ScramServer reproduces the RFC 5802 §5 SCRAM-SHA-1 example", async () => {
  await rfcExample(
    "SHA-1",
    "pencil",
    "QSXCR+Q6sek8bf92",
    "fyko+d2lbbFgONRv9qkxdawL",
    "3rfcNHYJY1ZVvWVs7j",
    "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    "rmF9pqV8S7suAoZWja4dJRkFsKQ=",
  );
});

Deno.test("ScramServer reproduces the RFC 7677 §3 SCRAM-SHA-256 example", async () => {
  await rfcExample(
    "SHA-256",
    "pencil",
    "W22ZaJ0SNY7soEsUEjb6gQ==",
    "rOprNGfwEbeRWgbNEkqO",
    "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
  );
});

for (const hash of ["SHA-1", "SHA-256"] as const) {
  Deno.test(`ScramServer completes a SCRAM-${hash} exchange with the right password`, async () => {
    const result = await exchange(server(hash), { hash, username: "user", password: "pencil" });
    assert.deepEqual(result, { username: "user", verified: true });
  });

  Deno.test(`ScramServer fails SCRAM-${hash} with AuthFailed for a wrong password`, async () => {
    const err = await rejects(
      exchange(server(hash), { hash, username: "user", password: "pencil2" }),
      "AuthFailed",
    );
    assert.equal(err.serverError, "invalid-proof");
  });
}

Deno.test("ScramServer uses a random base64 server nonce of at least 18 octets", async () => {
  const c = new ScramTestClient({ hash: "SHA-256", username: "user", password: "pencil" });
  const a = await server("SHA-256").start(c.first());
  const b = await server("SHA-256").start(c.first());
  const nonceA = /^r=([^,]+),/.exec(a)![1]!.slice(c.clientNonce.length);
  const nonceB = /^r=([^,]+),/.exec(b)![1]!.slice(c.clientNonce.length);
  assert.notEqual(nonceA, nonceB);
  assert.ok(tryDecodeBase64(nonceA)!.length >= 18);
});

Deno.test("ScramServer unescapes =2C and =3D in the user name", async () => {
  const result = await exchange(server("SHA-256"), {
    hash: "SHA-256",
    username: "a,b=c",
    password: "secret",
  });
  assert.deepEqual(result, { username: "a,b=c", verified: true });
});

Deno.test("ScramServer makes an unknown user indistinguishable from a wrong password", async () => {
  const fakeSaltKey = new Uint8Array(32).fill(7);
  const run = async (username: string) => {
    const s = server("SHA-256", { fakeSaltKey, fakeIterations: iterations });
    const c = new ScramTestClient({ hash: "SHA-256", username, password: "nope" });
    const serverFirst = await s.start(c.first());
    let err: unknown;
    try {
      await s.finish(await c.final(serverFirst));
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof SaslError);
    return { serverFirst: serverFirst.slice(c.clientNonce.length + 2), err };
  };
  const known = await run("user");
  const ghost = await run("ghost");
  const again = await run("ghost");
  assert.equal(known.err.code, "AuthFailed");
  assert.equal(ghost.err.code, "UnknownUser");
  assert.equal(ghost.err.message, known.err.message);
  assert.equal(ghost.err.serverError, known.err.serverError);
  // Same shape of server-first: nonce length, salt length, iteration count.
  const shape = (s: string) => s.replace(/[A-Za-z0-9+/=]/g, "x");
  assert.equal(shape(ghost.serverFirst), shape(known.serverFirst));
  // The fake salt is stable per user, and differs between users.
  const salt = (s: string) => /,s=([^,]+),/.exec(s)![1];
  assert.equal(salt(ghost.serverFirst), salt(again.serverFirst));
  assert.notEqual(salt(ghost.serverFirst), salt((await run("ghost2")).serverFirst));
});

for (const cb of [exporter, endPoint]) {
  Deno.test(`ScramServer -PLUS succeeds with matching ${cb.type} binding`, async () => {
    const s = server("SHA-256", { plus: true, channelBinding: cb });
    assert.equal(s.mechanism, "SCRAM-SHA-256-PLUS");
    const result = await exchange(s, {
      hash: "SHA-256",
      username: "user",
      password: "pencil",
      flag: `p=${cb.type}`,
      cbData: cb.data,
    });
    assert.deepEqual(result, { username: "user", verified: true });
  });
}

Deno.test("ScramServer -PLUS fails with ChannelBindingMismatch for other binding data", async () => {
  const s = server("SHA-1", { plus: true, channelBinding: exporter });
  await rejects(
    exchange(s, {
      hash: "SHA-1",
      username: "user",
      password: "pencil",
      flag: "p=tls-exporter",
      cbData: endPoint.data,
    }),
    "ChannelBindingMismatch",
  );
});

Deno.test("ScramServer -PLUS fails for a binding type it does not offer", async () => {
  const s = server("SHA-256", { plus: true, channelBinding: exporter });
  const c = new ScramTestClient({
    hash: "SHA-256",
    username: "user",
    password: "pencil",
    flag: "p=tls-unique",
  });
  const err = await rejects(s.start(c.first()), "ChannelBindingNotSupported");
  assert.equal(err.serverError, "unsupported-channel-binding-type");
});

Deno.test("ScramServer -PLUS fails when the client sends n or y", async () => {
  for (const flag of ["n", "y"]) {
    const s = server("SHA-256", { plus: true, channelBinding: exporter });
    const c = new ScramTestClient({ hash: "SHA-256", username: "user", password: "x", flag });
    await rejects(s.start(c.first()), "Malformed");
  }
});

Deno.test("ScramServer rejects y when -PLUS is advertised (downgrade)", async () => {
  const s = server("SHA-256", { channelBinding: exporter });
  const c = new ScramTestClient({
    hash: "SHA-256",
    username: "user",
    password: "pencil",
    flag: "y",
  });
  const err = await rejects(s.start(c.first()), "ChannelBindingMismatch");
  assert.equal(err.serverError, "server-does-support-channel-binding");
});

Deno.test("ScramServer accepts y when no binding is offered", async () => {
  const result = await exchange(server("SHA-256"), {
    hash: "SHA-256",
    username: "user",
    password: "pencil",
    flag: "y",
  });
  assert.deepEqual(result, { username: "user", verified: true });
});

Deno.test("ScramServer rejects p= on a mechanism without -PLUS", async () => {
  const s = server("SHA-256", { channelBinding: exporter });
  const c = new ScramTestClient({
    hash: "SHA-256",
    username: "user",
    password: "pencil",
    flag: "p=tls-exporter",
    cbData: exporter.data,
  });
  await rejects(s.start(c.first()), "ChannelBindingNotSupported");
});

Deno.test("ScramServer rejects c= that does not repeat the gs2-header", async () => {
  const s = server("SHA-256");
  const c = new ScramTestClient({ hash: "SHA-256", username: "user", password: "pencil" });
  const serverFirst = await s.start(c.first());
  const final = (await c.final(serverFirst)).replace("c=biws", `c=${btoa("y,,")}`);
  await rejects(s.finish(final), "ChannelBindingMismatch");
});

Deno.test("ScramServer accepts an authzid equal to the user name only", async () => {
  const ok = await exchange(server("SHA-256"), {
    hash: "SHA-256",
    username: "user",
    password: "pencil",
    authzid: "user",
  });
  assert.deepEqual(ok, { username: "user", verified: true });
  await rejects(
    exchange(server("SHA-256"), {
      hash: "SHA-256",
      username: "user",
      password: "pencil",
      authzid: "admin",
    }),
    "NotAuthorized",
  );
});

Deno.test("ScramServer ignores unknown optional extensions", async () => {
  const s = server("SHA-256");
  const c = new ScramTestClient({ hash: "SHA-256", username: "user", password: "pencil" });
  const serverFirst = await s.start(`${c.first()},x=whatever`);
  // The extension is part of client-first-message-bare, hence of AuthMessage; the
  // test client does not know, so its proof fails — which shows it was kept.
  await rejects(s.finish(await c.final(serverFirst)), "AuthFailed");
});

const malformedFirst: [string, string][] = [
  ["empty", ""],
  ["no gs2-header", "n=user,r=abc"],
  ["bad flag", "x,,n=user,r=abc"],
  ["bad cb-name", "p=tls_exporter,,n=user,r=abc"],
  ["authzid without a=", "n,user,n=user,r=abc"],
  ["missing n=", "n,,r=abc"],
  ["missing r=", "n,,n=user"],
  ["empty user", "n,,n=,r=abc"],
  ["attributes swapped", "n,,r=abc,n=user"],
  ["bad escape", "n,,n=us=2Ber,r=abc"],
  ["lower-case escape", "n,,n=us=2cer,r=abc"],
  ["mandatory extension", "n,,m=ext,n=user,r=abc"],
  ["nonce with space", "n,,n=user,r=a c"],
  ["nonce with non-ASCII", "n,,n=user,r=abé"],
  ["repeated nonce", "n,,n=user,r=abc,r=def"],
  ["extension without value", "n,,n=user,r=abc,x="],
  ["NUL", "n,,n=us\0er,r=abc"],
  ["prohibited user", "n,,n=us\u0007er,r=abc"],
  ["lone surrogate", "n,,n=us\uD800er,r=abc"],
  ["too long", `n,,n=user,r=abc,x=${"a".repeat(1024)}`],
  ["long nonce", `n,,n=user,r=${"a".repeat(257)}`],
];

for (const [name, message] of malformedFirst) {
  Deno.test(`ScramServer.start() throws Malformed for ${name}`, async () => {
    await rejects(server("SHA-256").start(message), "Malformed");
  });
}

Deno.test("ScramServer.start() throws Malformed for bytes that are not UTF-8", async () => {
  await rejects(server("SHA-256").start(new Uint8Array([0x6e, 0x2c, 0x2c, 0xff])), "Malformed");
});

Deno.test("ScramServer.start() accepts a message of exactly the size limit", async () => {
  const base = "n,,n=user,r=abc,x=";
  const max = authLimits.scramMessageOctets;
  await server("SHA-256").start(base + "a".repeat(max - base.length));
  await rejects(server("SHA-256").start(base + "a".repeat(max - base.length + 1)), "Malformed");
  // Multi-octet characters count as octets, not as characters.
  await rejects(server("SHA-256").start(base + "é".repeat(max - base.length)), "Malformed");
});

async function started(): Promise<{ s: ScramServer; nonce: string; final: string }> {
  const s = server("SHA-256");
  const c = new ScramTestClient({ hash: "SHA-256", username: "user", password: "pencil" });
  const serverFirst = await s.start(c.first());
  return { s, nonce: /^r=([^,]+)/.exec(serverFirst)![1]!, final: await c.final(serverFirst) };
}

Deno.test("ScramServer.finish() throws Malformed for bad client-final messages", async () => {
  const proof = encodeBase64(new Uint8Array(32));
  const cases: ((nonce: string, final: string) => string)[] = [
    () => "",
    (n) => `c=biws,r=${n}`,
    (n) => `r=${n},c=biws,p=${proof}`,
    (n) => `c=biws,p=${proof},r=${n}`,
    (n) => `c=bi ws,r=${n},p=${proof}`,
    (n) => `c=biw,r=${n},p=${proof}`,
    (n) => `c=biws,r=${n},p=${proof.slice(0, -1)}`,
    (n) => `c=biws,r=${n},p=${encodeBase64(new Uint8Array(31))}`,
    (n) => `c=biws,r=${n}x,p=${proof}`,
    (n) => `c=biws,r=${n},p=${proof},x=late`,
    (n) => `c=biws,r=${n},r=${n},p=${proof}`,
    (n) => `c=biws,r=${n},x=${"a".repeat(1024)},p=${proof}`,
    (_, f) => f.replace(/p=(.)/, "p==$1"),
  ];
  for (const make of cases) {
    const { s, nonce, final } = await started();
    await rejects(s.finish(make(nonce, final)), "Malformed");
  }
});

Deno.test("ScramServer throws a plain Error when steps come out of order", async () => {
  const s = server("SHA-256");
  await assert.rejects(s.finish("c=biws,r=a,p=AA=="), (e) => !(e instanceof SaslError));
  await rejects(s.start("garbage"), "Malformed");
  await assert.rejects(s.start("n,,n=user,r=abc"), (e) => !(e instanceof SaslError));
  const { s: done, final } = await started();
  await done.finish(final);
  await assert.rejects(done.finish(final), (e) => !(e instanceof SaslError));
});

Deno.test("ScramServer constructor refuses -PLUS without channel-binding data", () => {
  assert.throws(() => server("SHA-256", { plus: true }));
  assert.throws(() =>
    server("SHA-256", {
      plus: true,
      channelBinding: { type: "tls-exporter", data: new Uint8Array() },
    })
  );
});

Deno.test("parseScramMechanism() reads the four mechanism names", () => {
  for (const hash of ["SHA-1", "SHA-256"] as const) {
    for (const plus of [false, true]) {
      const name = scramMechanismName(hash, plus);
      assert.deepEqual(parseScramMechanism(name), { hash, plus });
      assert.deepEqual(parseScramMechanism(name.toLowerCase()), { hash, plus });
    }
  }
  assert.equal(parseScramMechanism("SCRAM-SHA-512"), undefined);
  assert.equal(parseScramMechanism("PLAIN"), undefined);
});

async function onlySaslErrors(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof SaslError)) throw err;
  }
}

// Seeds that reach deep into the grammar, mutated by fast-check.
const seedsFirst = [
  "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
  "y,a=user,n=user,r=abc",
  "p=tls-exporter,,n=user,r=abc,x=1",
  "n,,n=a=2Cb=3Dc,r=abc",
];

Deno.test("ScramServer.start() only ever throws SaslError (property)", async () => {
  const mutated = fc.tuple(fc.constantFrom(...seedsFirst), fc.nat(40), fc.string()).map((
    [seed, at, insert],
  ) => seed.slice(0, at) + insert + seed.slice(at));
  const input = fc.oneof(fc.string({ unit: "binary", maxLength: 1100 }), mutated, fc.string());
  await fc.assert(
    fc.asyncProperty(
      input,
      fc.boolean(),
      (message, plus) =>
        onlySaslErrors(() => server("SHA-256", { plus, channelBinding: exporter }).start(message)),
    ),
    { numRuns: 300 },
  );
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 64 }),
      (bytes) => onlySaslErrors(() => server("SHA-1").start(bytes)),
    ),
    { numRuns: 200 },
  );
});

Deno.test("ScramServer.finish() only ever throws SaslError (property)", async () => {
  const { final } = await started();
  const mutated = fc.tuple(fc.nat(final.length), fc.nat(8), fc.string()).map((
    [at, cut, insert],
  ) => final.slice(0, at) + insert + final.slice(at + cut));
  const input = fc.oneof(fc.string({ unit: "binary", maxLength: 1100 }), mutated);
  await fc.assert(
    fc.asyncProperty(input, async (message) => {
      const { s } = await started();
      await onlySaslErrors(() => s.finish(message));
    }),
    { numRuns: 200 },
  );
});

Deno.test("ScramServer accepts a client-first given as UTF-8 bytes", async () => {
  const s = server("SHA-256");
  const c = new ScramTestClient({ hash: "SHA-256", username: "user", password: "pencil" });
  const serverFirst = await s.start(encoder.encode(c.first()));
  const { serverFinal } = await s.finish(encoder.encode(await c.final(serverFirst)));
  assert.ok(c.verify(serverFinal));
});
