/**
 * Parsers for the SCRAM client messages a server receives (RFC 5802 §7 grammar).
 * Every attribute value excludes ",", so a message is split at commas and its
 * attributes are read in the fixed order RFC 5802 §5 prescribes. Everything that is
 * not exactly the grammar throws SaslError("Malformed").
 */

import { tryDecodeBase64 } from "./base64.ts";
import { SaslError } from "./error.ts";
import { authLimits } from "./limits.ts";
import { saslprep, SaslPrepError } from "./saslprep.ts";

const fatalDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** RFC 5802 §7 gs2-cbind-flag. */
export type CbindFlag =
  | { kind: "n" } // client does not support channel binding
  | { kind: "y" } // client supports it but thinks the server does not
  | { kind: "p"; name: string }; // client requires this channel binding type

export interface ClientFirst {
  /** The gs2-header exactly as sent, including its trailing comma. */
  gs2Header: string;
  cbind: CbindFlag;
  /** The prepared authorization identity; undefined when absent. */
  authzid: string | undefined;
  /** The prepared user name, never empty. */
  username: string;
  clientNonce: string;
  /** client-first-message-bare as sent, for AuthMessage. */
  bare: string;
}

export interface ClientFinal {
  /** Decoded c= value: gs2-header followed by the channel-binding data, if any. */
  channelBinding: Uint8Array;
  nonce: string;
  proof: Uint8Array;
  /** client-final-message-without-proof, for AuthMessage. */
  withoutProof: string;
}

export function malformed(detail: string): SaslError {
  return new SaslError("Malformed", detail);
}

/** Decodes a message given as bytes or text, enforcing the size limit. */
export function messageText(message: string | Uint8Array, what: string): string {
  // limits.ts: scramMessageOctets. A UTF-16 unit is at least one UTF-8 octet, so the
  // cheap length test comes first.
  const max = authLimits.scramMessageOctets;
  if (message.length > max) throw malformed(`${what} longer than ${max} octets`);
  let text: string;
  if (typeof message === "string") {
    text = message;
    if (encoder.encode(text).length > max) throw malformed(`${what} longer than ${max} octets`);
  } else {
    try {
      text = fatalDecoder.decode(message);
    } catch {
      throw malformed(`${what} is not UTF-8`);
    }
  }
  // RFC 5802 §7: no production admits NUL.
  if (text.includes("\0")) throw malformed(`${what} contains NUL`);
  return text;
}

/** RFC 5802 §7 attr-val: ALPHA "=" value, with value non-empty. */
function attribute(part: string | undefined, name: string, what: string): string {
  if (part === undefined || !part.startsWith(`${name}=`) || part.length < 3) {
    throw malformed(`${what} lacks attribute ${name}=`);
  }
  return part.slice(2);
}

// RFC 5802 §5.1: the reserved attribute letters; used as extensions they are errors.
const coreAttributes = new Set("acehimnprsv");

/**
 * RFC 5802 §7 extensions: optional attr-vals we do not know are ignored (§5: "can
 * appear in any order in the designated positions"); a core attribute there is an
 * error, not silently dropped.
 */
function checkExtensions(parts: readonly string[], what: string): void {
  for (const part of parts) {
    const m = /^([A-Za-z])=(.+)$/su.exec(part);
    if (m === null) throw malformed(`${what} has a malformed attribute`);
    if (coreAttributes.has(m[1]!)) throw malformed(`${what} repeats or misplaces ${m[1]}=`);
  }
}

/** RFC 5802 §5.1: printable = %x21-2B / %x2D-7E, the nonce alphabet. */
export function isPrintable(s: string): boolean {
  return s.length > 0 && /^[\x21-\x2b\x2d-\x7e]+$/.test(s);
}

/** RFC 5802 §5.1: "=2C" and "=3D" stand for "," and "="; any other "=" is an error. */
export function decodeSaslname(value: string, what: string): string {
  if (!/^(?:[^=,]|=2C|=3D)+$/su.test(value)) throw malformed(`${what} is badly escaped`);
  return value.replaceAll("=2C", ",").replaceAll("=3D", "=");
}

/** RFC 5802 §5.1: escapes "=" then "," for a saslname. */
export function encodeSaslname(name: string): string {
  return name.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

/**
 * RFC 5802 §5.1: "If the preparation of the username fails or results in an empty
 * string, the server SHOULD abort the authentication exchange." Query-string mode.
 */
function prepareIdentity(value: string, what: string): string {
  let prepared: string;
  try {
    prepared = saslprep(value);
  } catch (err) {
    if (err instanceof SaslPrepError) throw malformed(`${what}: ${err.message}`);
    throw err;
  }
  if (prepared === "") throw malformed(`${what} is empty`);
  if (encoder.encode(prepared).length > authLimits.identityOctets) {
    throw malformed(`${what} longer than ${authLimits.identityOctets} octets`);
  }
  return prepared;
}

/** Parses client-first-message (RFC 5802 §7). */
export function parseClientFirst(text: string): ClientFirst {
  const what = "client-first message";
  const parts = text.split(",");
  // RFC 5802 §7: gs2-header = gs2-cbind-flag "," [ authzid ] ","
  const [flag, authzidPart] = parts;
  let cbind: CbindFlag;
  if (flag === "n" || flag === "y") cbind = { kind: flag };
  else if (flag !== undefined && /^p=[A-Za-z0-9.-]+$/.test(flag)) {
    // RFC 5802 §7: cb-name = 1*(ALPHA / DIGIT / "." / "-")
    cbind = { kind: "p", name: flag.slice(2) };
  } else throw malformed(`${what} has a bad gs2-cbind-flag`);
  if (authzidPart === undefined) throw malformed(`${what} lacks a gs2-header`);
  const authzid = authzidPart === ""
    ? undefined
    : prepareIdentity(decodeSaslname(attribute(authzidPart, "a", what), "authzid"), "authzid");
  const gs2Header = `${flag},${authzidPart},`;
  const bareParts = parts.slice(2);
  // RFC 5802 §5.1: "m: This attribute is reserved for future extensibility. In this
  // version of SCRAM, its presence in a client or a server message MUST cause
  // authentication failure when the attribute is parsed by the other end."
  if (bareParts[0]?.startsWith("m=")) {
    throw new SaslError(
      "Malformed",
      "mandatory extension not supported",
      "extensions-not-supported",
    );
  }
  // RFC 5802 §7: client-first-message-bare = username "," nonce ["," extensions]
  const username = prepareIdentity(
    decodeSaslname(attribute(bareParts[0], "n", what), "username"),
    "username",
  );
  const clientNonce = attribute(bareParts[1], "r", what);
  if (!isPrintable(clientNonce)) throw malformed(`${what} has a non-printable nonce`);
  if (clientNonce.length > authLimits.clientNonceChars) {
    throw malformed(`${what} nonce longer than ${authLimits.clientNonceChars} characters`);
  }
  checkExtensions(bareParts.slice(2), what);
  return {
    gs2Header,
    cbind,
    authzid,
    username,
    clientNonce,
    bare: text.slice(gs2Header.length),
  };
}

/** Parses client-final-message (RFC 5802 §7). */
export function parseClientFinal(text: string): ClientFinal {
  const what = "client-final message";
  const parts = text.split(",");
  // RFC 5802 §7: client-final-message-without-proof = channel-binding "," nonce
  // ["," extensions]; client-final-message = ... "," proof — proof comes last.
  if (parts.length < 3) throw malformed(`${what} lacks attributes`);
  const cb = tryDecodeBase64(attribute(parts[0], "c", what));
  if (cb === undefined) throw malformed(`${what} has bad base64 in c=`);
  const nonce = attribute(parts[1], "r", what);
  if (!isPrintable(nonce)) throw malformed(`${what} has a non-printable nonce`);
  const last = parts[parts.length - 1];
  const proof = tryDecodeBase64(attribute(last, "p", what));
  if (proof === undefined) throw malformed(`${what} has bad base64 in p=`);
  checkExtensions(parts.slice(2, -1), what);
  return {
    channelBinding: cb,
    nonce,
    proof,
    withoutProof: text.slice(0, text.length - last!.length - 1),
  };
}
