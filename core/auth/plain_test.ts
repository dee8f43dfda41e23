import assert from "node:assert/strict";
import fc from "fast-check";
import { tryDecodeBase64 } from "./base64.ts";
import { authLimits } from "./limits.ts";
import {
  loginPasswordPrompt,
  LoginServer,
  loginUsernamePrompt,
  parsePlain,
  SaslError,
} from "./plain.ts";
import type { SaslErrorCode } from "./error.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (s: string) => encoder.encode(s);

function sasl(code: SaslErrorCode) {
  return (err: unknown) => {
    assert.ok(err instanceof SaslError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, /^Cannot authenticate: /);
    return true;
  };
}

Deno.test("parsePlain() reads a message without authzid", () => {
  assert.deepEqual(parsePlain(bytes("\0tim\0tanstaaftanstaaf")), {
    username: "tim",
    password: "tanstaaftanstaaf",
  });
});

Deno.test("parsePlain() accepts an authzid equal to the authcid", () => {
  assert.deepEqual(parsePlain(bytes("tim\0tim\0pw")), { username: "tim", password: "pw" });
  // Compared after SASLprep.
  assert.deepEqual(parsePlain(bytes("t\u00ADim\0tim\0pw")), { username: "tim", password: "pw" });
});

Deno.test("parsePlain() refuses an authzid other than the authcid", () => {
  // RFC 4616 §4 example: Ursel acting as Kurt.
  assert.throws(() => parsePlain(bytes("Kurt\0Ursel\0kurt\u00E4")), sasl("NotAuthorized"));
});

Deno.test("parsePlain() prepares the authcid but returns the password as sent", () => {
  assert.deepEqual(parsePlain(bytes("\0I\u00ADX\0pass\u00A0word")), {
    username: "IX",
    password: "pass\u00A0word",
  });
});

Deno.test("parsePlain() throws Malformed for wrong NUL counts and empty fields", () => {
  for (
    const m of [
      "",
      "tim",
      "\0tim",
      "tim\0pw",
      "\0tim\0pw\0",
      "\0tim\0p\0w",
      "\0\0\0",
      "\0\0pw",
      "\0tim\0",
      "\0\u00AD\0pw", // authcid empty after SASLprep
      "\0t\u0007m\0pw", // prohibited in authcid
      "a\u0007\0tim\0pw", // prohibited in authzid
    ]
  ) {
    assert.throws(() => parsePlain(bytes(m)), sasl("Malformed"), JSON.stringify(m));
  }
});

Deno.test("parsePlain() throws Malformed for bytes that are not UTF-8", () => {
  assert.throws(() => parsePlain(new Uint8Array([0, 0x74, 0, 0xc3])), sasl("Malformed"));
  assert.throws(() => parsePlain(new Uint8Array([0, 0xff, 0, 0x41])), sasl("Malformed"));
});

Deno.test("parsePlain() accepts fields at the limit and refuses one octet more", () => {
  const id = "u".repeat(authLimits.identityOctets);
  const pw = "p".repeat(authLimits.passwordOctets);
  assert.deepEqual(parsePlain(bytes(`${id}\0${id}\0${pw}`)), { username: id, password: pw });
  assert.throws(() => parsePlain(bytes(`\0${id}u\0pw`)), sasl("Malformed"));
  assert.throws(() => parsePlain(bytes(`${id}u\0${id}\0pw`)), sasl("Malformed"));
  assert.throws(() => parsePlain(bytes(`\0tim\0${pw}p`)), sasl("Malformed"));
  assert.throws(() => parsePlain(new Uint8Array(1 << 20)), sasl("Malformed"));
});

Deno.test("parsePlain() only ever throws SaslError (property)", () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.string().map(bytes)),
      (message) => {
        try {
          const { username, password } = parsePlain(message);
          assert.ok(username !== "" && password !== "");
        } catch (err) {
          if (!(err instanceof SaslError)) throw err;
        }
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("LOGIN prompts are base64 of Username: and Password:", () => {
  assert.equal(decoder.decode(tryDecodeBase64(loginUsernamePrompt)), "Username:");
  assert.equal(decoder.decode(tryDecodeBase64(loginPasswordPrompt)), "Password:");
});

Deno.test("LoginServer prompts for user name then password", () => {
  const login = new LoginServer();
  assert.deepEqual(login.start(), { kind: "challenge", challenge: loginUsernamePrompt });
  assert.deepEqual(login.respond(bytes("tim")), {
    kind: "challenge",
    challenge: loginPasswordPrompt,
  });
  assert.deepEqual(login.respond(bytes("secret")), {
    kind: "done",
    credentials: { username: "tim", password: "secret" },
  });
  assert.throws(() => login.respond(bytes("more")), (e) => !(e instanceof SaslError));
});

Deno.test("LoginServer takes the user name as initial response", () => {
  const login = new LoginServer();
  assert.deepEqual(login.start(bytes("tim")), {
    kind: "challenge",
    challenge: loginPasswordPrompt,
  });
  assert.deepEqual(login.respond(bytes("secret")), {
    kind: "done",
    credentials: { username: "tim", password: "secret" },
  });
  assert.throws(() => login.start(), (e) => !(e instanceof SaslError));
});

Deno.test("LoginServer throws Malformed for empty, NUL, over-long or bad fields", () => {
  const atPassword = () => {
    const login = new LoginServer();
    login.start(bytes("tim"));
    return login;
  };
  for (const name of ["", "t\0m", "u".repeat(authLimits.identityOctets + 1)]) {
    assert.throws(() => new LoginServer().start(bytes(name)), sasl("Malformed"));
  }
  assert.throws(() => new LoginServer().start(new Uint8Array([0xff])), sasl("Malformed"));
  for (const pw of ["", "p\0w", "p".repeat(authLimits.passwordOctets + 1)]) {
    assert.throws(() => atPassword().respond(bytes(pw)), sasl("Malformed"));
  }
  // After a failure the exchange is over.
  const login = new LoginServer();
  assert.throws(() => login.start(bytes("")), sasl("Malformed"));
  assert.throws(() => login.respond(bytes("tim")), (e) => !(e instanceof SaslError));
});
