/**
 * The SMTP command parser: one command line (without its CRLF, as the framer hands it
 * over) in, one typed {@linkcode Command} out. Pure: no state, no I/O.
 *
 * Implementation notes:
 * - Verbs and keywords are case-insensitive (RFC 5321 §2.4); lower-case verbs are not
 *   a leniency. What the grammar does not allow but real clients send is accepted and
 *   listed in `sloppy` (see {@linkcode Leniency}) so a pedantic session can refuse it.
 * - An HTTP request line is its own result ("http"), a verb we do not know is
 *   "unknown"; both are the session's to answer. Everything else that does not parse
 *   throws {@linkcode SmtpSyntaxError} with a stable code.
 * - Bytes must be UTF-8 (RFC 6531 §3.3 allows it in addresses; elsewhere the grammar
 *   rejects it); NUL, CR and LF never belong in a command line.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.1
 */

import type { Command, Verb } from "./command.ts";
import { Cursor, SmtpSyntaxError } from "./_cursor.ts";
import { expectHost, expectPath, expectQuotedString } from "./_address.ts";
import { expectMailParams, expectRcptParams } from "./_params.ts";

export { SmtpSyntaxError } from "./_cursor.ts";
export { decodeXtext } from "./_params.ts";

const fatalDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// HTTP request methods (case-sensitive, unlike SMTP verbs) and the HTTP/2 connection
// preface "PRI * HTTP/2.0", followed by a request target.
const httpRequest = /^(?:GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH|PRI) \S/;

type VerbParser = (c: Cursor) => Command;

/**
 * A command without arguments (RFC 5321 §4.1.1.4 DATA, §4.1.1.5 RSET, §4.1.1.10 QUIT, RFC 3207 §4
 * STARTTLS).
 */
function bare(verb: "DATA" | "RSET" | "QUIT" | "STARTTLS"): VerbParser {
  return (c) => {
    c.expectEnd("BadArguments");
    return { verb, sloppy: c.sloppy };
  };
}

/** The optional free-text argument of NOOP and HELP; undefined when none. */
function optionalText(c: Cursor): string | undefined {
  if (!c.trySp()) {
    c.expectEnd();
    return undefined;
  }
  return c.rest();
}

/**
 * VRFY/EXPN String (RFC 5321 §4.1.2 Atom / Quoted-string), taken leniently as the rest of the line.
 */
function lookup(verb: "VRFY" | "EXPN"): VerbParser {
  return (c) => {
    c.expectSp("argument");
    const start = c.pos;
    const arg = c.rest().replace(/ +$/, "");
    let value = arg;
    if (arg.startsWith('"')) {
      const q = new Cursor(arg);
      try {
        const unquoted = expectQuotedString(q);
        if (q.atEnd) value = unquoted;
      } catch (err) {
        if (!(err instanceof SmtpSyntaxError)) throw err;
        throw c.error("Syntax", "invalid quoted string", start + err.offset);
      }
    }
    if (arg.length < c.orig.length - start) c.lenient("trailing-space");
    return { verb, arg, value, sloppy: c.sloppy };
  };
}

const verbs: Readonly<Record<Verb, VerbParser>> = {
  // RFC 5321 §4.1.1.1: ehlo = "EHLO" SP ( Domain / address-literal ).
  EHLO: (c) => {
    c.expectSp("domain");
    const host = expectHost(c, { underscore: true });
    c.expectEnd();
    return { verb: "EHLO", host, sloppy: c.sloppy };
  },
  // RFC 5321 §4.1.1.1: helo = "HELO" SP Domain; an address literal is lenient.
  HELO: (c) => {
    c.expectSp("domain");
    const host = expectHost(c, { underscore: true });
    if (host.kind !== "domain") c.lenient("helo-address-literal");
    c.expectEnd();
    return { verb: "HELO", host, sloppy: c.sloppy };
  },
  // RFC 5321 §4.1.1.2: mail = "MAIL FROM:" Reverse-path [SP Mail-parameters].
  MAIL: (c) => {
    c.expectSp("FROM:");
    c.expectKeyword("FROM:");
    if (c.trySp()) c.lenient("space-after-colon");
    const from = expectPath(c, "reverse");
    const params = expectMailParams(c);
    return { verb: "MAIL", from, params, sloppy: c.sloppy };
  },
  // RFC 5321 §4.1.1.3: rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" /
  // Forward-path ) [SP Rcpt-parameters].
  RCPT: (c) => {
    c.expectSp("TO:");
    c.expectKeyword("TO:");
    if (c.trySp()) c.lenient("space-after-colon");
    const to = expectPath(c, "forward");
    const params = expectRcptParams(c);
    return { verb: "RCPT", to, params, sloppy: c.sloppy };
  },
  DATA: bare("DATA"),
  RSET: bare("RSET"),
  QUIT: bare("QUIT"),
  STARTTLS: bare("STARTTLS"),
  // RFC 3030 §2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ]; end-marker = "LAST".
  BDAT: (c) => {
    c.expectSp("chunk size");
    const digits = c.takeWhile((ch) => ch >= 0x30 && ch <= 0x39);
    // More than 15 digits cannot be an exact number; no real chunk comes near.
    if (digits === "" || digits.length > 15) throw c.error("BadArguments", "expected chunk size");
    let last = false;
    if (c.trySp()) {
      if (!c.tryKeyword("LAST")) throw c.error("BadArguments", "expected LAST");
      last = true;
    }
    c.expectEnd("BadArguments");
    return { verb: "BDAT", size: Number(digits), last, sloppy: c.sloppy };
  },
  // RFC 5321 §4.1.1.9: noop = "NOOP" [ SP String ]; any text is taken.
  NOOP: (c) => ({ verb: "NOOP", text: optionalText(c), sloppy: c.sloppy }),
  // RFC 5321 §4.1.1.8: help = "HELP" [ SP String ]; any text is taken.
  HELP: (c) => ({ verb: "HELP", topic: optionalText(c), sloppy: c.sloppy }),
  // RFC 5321 §4.1.1.6–§4.1.1.7: vrfy/expn = verb SP String.
  VRFY: lookup("VRFY"),
  EXPN: lookup("EXPN"),
  // RFC 4954 §4: "AUTH" SP sasl-mech [SP initial-response]; RFC 4422 §3.1: sasl-mech is
  // 1*20 of upper-case letters, digits, "-" and "_" (lower case accepted).
  AUTH: (c) => {
    c.expectSp("mechanism");
    const start = c.pos;
    const mechanism = c.upper.slice(
      start,
      start + c.takeWhile((ch) => /[A-Za-z0-9_-]/.test(String.fromCharCode(ch))).length,
    );
    if (mechanism === "" || mechanism.length > 20) {
      throw c.error("Syntax", "expected SASL mechanism", start);
    }
    let initialResponse: string | undefined;
    if (c.trySp()) {
      // RFC 4954 §4: initial-response = base64 / "=".
      initialResponse = c.takeWhile((ch) => ch !== 0x20);
      if (!/^(?:=|[A-Za-z0-9+/]+={0,2})$/.test(initialResponse)) {
        throw c.error("Syntax", "initial response is not base64");
      }
    }
    c.expectEnd();
    return { verb: "AUTH", mechanism, initialResponse, sloppy: c.sloppy };
  },
};

function isVerb(name: string): name is Verb {
  return Object.hasOwn(verbs, name);
}

/**
 * Parses one SMTP command line, given without its CRLF.
 *
 * @returns the command; `verb: "unknown"` for a verb we do not know and `verb: "http"`
 *   for an HTTP request line
 * @throws SmtpSyntaxError for a known verb with bad arguments, an empty line, bytes
 *   that are not UTF-8, or NUL/CR/LF in the line
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.1
 */
export function parseCommand(line: Uint8Array | string): Command {
  let text: string;
  if (typeof line === "string") {
    text = line;
    if (!text.isWellFormed()) throw new SmtpSyntaxError("Syntax", "not Unicode", undefined, 0);
  } else {
    try {
      text = fatalDecoder.decode(line);
    } catch {
      throw new SmtpSyntaxError("Syntax", "not UTF-8", undefined, 0);
    }
  }
  const control = text.search(/[\0\r\n]/);
  if (control >= 0) {
    throw new SmtpSyntaxError("Syntax", "NUL, CR or LF in command line", undefined, control);
  }
  if (httpRequest.test(text)) {
    return { verb: "http", method: text.slice(0, text.indexOf(" ")), sloppy: [] };
  }

  const c = new Cursor(text);
  const name = c.takeWhile((ch) => ch !== 0x20);
  if (name === "") throw c.error("Syntax", "expected command verb");
  const verb = c.upper.slice(0, name.length);
  if (!isVerb(verb)) {
    c.trySp();
    return { verb: "unknown", name, args: c.rest(), sloppy: [] };
  }
  c.verb = verb;
  return verbs[verb](c);
}
