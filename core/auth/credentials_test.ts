import assert from "node:assert/strict";
import { encodeBase64, tryDecodeBase64 } from "./base64.ts";
import {
  type Credentials,
  CredentialsError,
  credentialsFromJSON,
  credentialsToJSON,
  deriveCredentials,
  scramCredential,
  scramCredentialFromPassword,
  verifyPassword,
} from "./credentials.ts";
import { authLimits } from "./limits.ts";

const iterations = authLimits.minIterations; // keep the suite fast
const creds = await deriveCredentials("pencil", { iterations });

function invalid(code: CredentialsError["code"]) {
  return (err: unknown) => {
    assert.ok(err instanceof CredentialsError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, /^Cannot (derive|read) credentials: /);
    return true;
  };
}

Deno.test("deriveCredentials() makes one SHA-256 and one SHA-1 entry with own salts", () => {
  assert.deepEqual(creds.scram.map((c) => c.hash), ["SHA-256", "SHA-1"]);
  const [a, b] = creds.scram;
  assert.equal(a!.salt.length, authLimits.saltOctets);
  assert.notDeepEqual(a!.salt, b!.salt);
  assert.equal(a!.storedKey.length, 32);
  assert.equal(b!.serverKey.length, 20);
  assert.ok(creds.scram.every((c) => c.iterations === iterations));
});

Deno.test("deriveCredentials() uses 16384 iterations by default", async () => {
  const d = await deriveCredentials("pencil");
  assert.ok(d.scram.every((c) => c.iterations === authLimits.defaultIterations));
  assert.equal(authLimits.defaultIterations, 16384);
});

Deno.test("deriveCredentials() never keeps the password", () => {
  const json = JSON.stringify(credentialsToJSON(creds));
  assert.ok(!json.includes("pencil"));
  assert.ok(!json.includes(encodeBase64(new TextEncoder().encode("pencil"))));
});

Deno.test("deriveCredentials() refuses iteration counts outside the limits", async () => {
  for (const n of [0, 4095, 4096.5, authLimits.maxIterations + 1, NaN]) {
    await assert.rejects(deriveCredentials("pencil", { iterations: n }), invalid("InvalidOptions"));
  }
});

Deno.test("deriveCredentials() refuses empty, prohibited and over-long passwords", async () => {
  for (const p of ["", "\u00AD", "bell\u0007", "\uE000", "a\uD800", "\u0627a\u0628"]) {
    await assert.rejects(deriveCredentials(p, { iterations }), invalid("InvalidPassword"));
  }
  const max = "é".repeat(authLimits.passwordOctets / 2);
  await deriveCredentials(max, { iterations });
  await assert.rejects(deriveCredentials(max + "a", { iterations }), invalid("InvalidPassword"));
});

Deno.test("deriveCredentials() refuses unassigned code points (stored string)", async () => {
  await assert.rejects(deriveCredentials("a\u0378", { iterations }), invalid("InvalidPassword"));
});

Deno.test("verifyPassword() is true for the password and false otherwise", async () => {
  assert.equal(await verifyPassword(creds, "pencil"), true);
  assert.equal(await verifyPassword(creds, "Pencil"), false);
  assert.equal(await verifyPassword(creds, "pencil "), false);
  assert.equal(await verifyPassword(creds, ""), false);
  assert.equal(await verifyPassword(creds, "bell\u0007"), false);
  assert.equal(await verifyPassword(creds, "x".repeat(authLimits.passwordOctets + 1)), false);
});

Deno.test("verifyPassword() is false for an unknown user (undefined credentials)", async () => {
  assert.equal(await verifyPassword(undefined, "pencil"), false);
  assert.equal(await verifyPassword({ scram: [] }, "pencil"), false);
});

Deno.test("verifyPassword() falls back to SHA-1 when that is all the user has", async () => {
  const sha1: Credentials = { scram: [scramCredential(creds, "SHA-1")!] };
  assert.equal(await verifyPassword(sha1, "pencil"), true);
  assert.equal(await verifyPassword(sha1, "pencil2"), false);
});

Deno.test("verifyPassword() matches SASLprep-equivalent passwords", async () => {
  // RFC 4013 §3: soft hyphen maps to nothing; non-ASCII space maps to SPACE;
  // NFKC folds compatibility characters.
  const d = await deriveCredentials("I\u00ADX pass", { iterations });
  assert.equal(await verifyPassword(d, "IX pass"), true);
  assert.equal(await verifyPassword(d, "IX\u00A0pass"), true);
  assert.equal(await verifyPassword(d, "\u2168\u2000pass"), true);
  assert.equal(await verifyPassword(d, "IXpass"), false);
});

Deno.test("scramCredentialFromPassword() depends only on password, salt and iterations", async () => {
  // Same inputs, same keys; another salt, other keys. (The RFC 5802 §5 proof and
  // signature that pin these keys are checked in scram_test.ts.)
  const salt = tryDecodeBase64("QSXCR+Q6sek8bf92")!;
  const a = await scramCredentialFromPassword("pencil", "SHA-1", salt, 4096);
  const b = await scramCredentialFromPassword("pencil", "SHA-1", salt, 4096);
  const c = await scramCredentialFromPassword("pencil", "SHA-1", salt.toReversed(), 4096);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.storedKey, c.storedKey);
  assert.deepEqual(a.salt, salt);
});

Deno.test("scramCredentialFromPassword() refuses salts outside the limits", async () => {
  for (const n of [0, authLimits.minSaltOctets - 1, authLimits.maxSaltOctets + 1]) {
    await assert.rejects(
      scramCredentialFromPassword("pencil", "SHA-256", new Uint8Array(n), 4096),
      invalid("InvalidOptions"),
    );
  }
});

Deno.test("credentialsFromJSON() reads what credentialsToJSON() wrote", async () => {
  const text = JSON.stringify(credentialsToJSON(creds));
  const back = credentialsFromJSON(JSON.parse(text));
  assert.deepEqual(back, {
    scram: creds.scram.map((c) => ({
      ...c,
      salt: Uint8Array.from(c.salt),
      storedKey: Uint8Array.from(c.storedKey),
      serverKey: Uint8Array.from(c.serverKey),
    })),
  });
  assert.equal(await verifyPassword(back, "pencil"), true);
  assert.equal(JSON.parse(text).version, 1);
});

Deno.test("credentialsFromJSON() rejects every malformed field", () => {
  const good = credentialsToJSON(creds);
  const entry = good.scram[0]!;
  const bad: unknown[] = [
    null,
    "text",
    [],
    { ...good, version: 2 },
    { version: 1 },
    { version: 1, scram: [] },
    { version: 1, scram: [entry, entry] },
    { version: 1, scram: [entry, good.scram[1], entry] },
    { version: 1, scram: ["x"] },
    { version: 1, scram: [{ ...entry, hash: "SHA-512" }] },
    { version: 1, scram: [{ ...entry, iterations: 100 }] },
    { version: 1, scram: [{ ...entry, iterations: "4096" }] },
    { version: 1, scram: [{ ...entry, salt: "not base64!" }] },
    { version: 1, scram: [{ ...entry, salt: "" }] },
    { version: 1, scram: [{ ...entry, storedKey: good.scram[1]!.storedKey }] },
    { version: 1, scram: [{ ...entry, serverKey: undefined }] },
  ];
  for (const value of bad) {
    assert.throws(() => credentialsFromJSON(value), invalid("InvalidJson"), JSON.stringify(value));
  }
});
