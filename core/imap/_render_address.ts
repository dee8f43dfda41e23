/**
 * RFC 5322 §3.4 address lists parsed for ENVELOPE (RFC 9051 §7.5.2), with the error
 * recovery of Dovecot's message-address.c so that broken headers come out the same as
 * from a widely deployed server.
 *
 * Implementation notes:
 * - Input is an octet string (see _render_quote.ts); 8-bit octets count as atext, so
 *   raw UTF-8 names (RFC 6532 §3.2) parse as atoms. Nothing is decoded: encoded words
 *   (RFC 2047) stay as written, as IMAP wants (RFC 9051 §7.5.2 addr-name is the phrase).
 * - Every grammar step returns a {@linkcode Step}: -1 syntax error, 0 input used up,
 *   1 more input follows. Positions only move forward, so parsing is linear.
 * - Groups (RFC 5322 §3.4 group) become a start marker (mailbox = group name, no
 *   domain) and an end marker (all undefined), as RFC 9051 §7.5.2 represents them.
 * - What cannot be made out is filled in the way UW imapd and Dovecot do it: a missing
 *   local part is "MISSING_MAILBOX", a missing domain "MISSING_DOMAIN", a broken
 *   angle-addr gets domain "SYNTAX_ERROR", a broken route "INVALID_ROUTE". RFC 9051
 *   has no rule for unparsable addresses; these markers are what clients have met for
 *   decades. A lone comment after an addr-spec is taken as the display name
 *   (RFC 5322 §3.4 obsolete practice "addr (Name)").
 */

/** One ENVELOPE address (RFC 9051 §7.5.2 address); group markers have no domain. */
export interface Address {
  name?: string;
  route?: string;
  mailbox?: string;
  domain?: string;
}

/** -1: syntax error; 0: end of input; 1: more input follows. */
type Step = -1 | 0 | 1;

/** RFC 5322 §3.2.3 atext, plus every 8-bit octet (RFC 6532 §3.2). */
function isAtext(c: string): boolean {
  if (c === "") return false;
  const code = c.charCodeAt(0);
  if (code >= 0x80) return true;
  if (code <= 0x20 || code === 0x7f) return false;
  return !'"(),.:;<>@[\\]'.includes(c);
}

const replacementChar = "\xef\xbf\xbd"; // U+FFFD in UTF-8, as an octet string

/** A cursor over one unfolded-or-folded header value, named after the RFC 5322 grammar. */
class AddressCursor {
  pos = 0;
  /** The text of the last comment skipped, for "addr (Name)". */
  lastComment = "";
  constructor(readonly text: string) {}

  get end(): number {
    return this.text.length;
  }

  /** The character at the cursor; "" at the end. */
  c(): string {
    return this.text.charAt(this.pos);
  }

  more(): Step {
    return this.pos < this.end ? 1 : 0;
  }

  /** RFC 5322 §3.2.2 comment, nested, quoted-pairs resolved; the cursor is on "(". */
  skipComment(): Step {
    let level = 1;
    let text = "";
    this.pos++;
    for (; this.pos < this.end; this.pos++) {
      const c = this.c();
      if (c === ")" && --level === 0) {
        this.lastComment = text;
        this.pos++;
        return this.more();
      }
      if (c === "(") level++;
      if (c === "\\") {
        if (this.pos + 1 >= this.end) return -1;
        const next = this.text.charAt(this.pos + 1);
        if (next !== "\r" && next !== "\n" && next !== "\0") {
          this.pos++;
          text += next;
          continue;
        }
      }
      if (c === "\0") text += replacementChar;
      else if (c !== "\r" && c !== "\n") text += c; // folding is removed
    }
    return -1; // missing ")"
  }

  /** RFC 5322 §3.2.2 CFWS. */
  skipLwsp(): Step {
    while (this.pos < this.end) {
      const c = this.c();
      if (c === " " || c === "\t" || c === "\r" || c === "\n") this.pos++;
      else if (c === "(") {
        if (this.skipComment() < 0) return -1;
      } else break;
    }
    return this.more();
  }

  /** RFC 5322 §3.2.3 atom. */
  atom(out: { s: string }): Step {
    if (!isAtext(this.c())) return -1;
    const start = this.pos++;
    while (isAtext(this.c())) this.pos++;
    out.s += this.text.slice(start, this.pos);
    return this.pos < this.end ? this.skipLwsp() : 0;
  }

  /** RFC 5322 §3.2.3 dot-atom, with CFWS around the dots (§4.4 obs-local-part, obs-domain). */
  dotAtom(out: { s: string }): Step {
    if (!isAtext(this.c())) return -1;
    let start = this.pos++;
    while (this.pos < this.end) {
      if (isAtext(this.c())) {
        this.pos++;
        continue;
      }
      if (start === this.pos) return -1;
      out.s += this.text.slice(start, this.pos);
      const r = this.skipLwsp();
      if (r <= 0) return r;
      if (this.c() !== ".") return 1;
      this.pos++;
      out.s += ".";
      if (this.skipLwsp() <= 0) return -1;
      start = this.pos;
    }
    out.s += this.text.slice(start, this.pos);
    return 0;
  }

  /** RFC 5322 §4.4 obs-local-part without the dot rules: "a..b", ".a" and "a." pass. */
  looseDotAtom(out: { s: string }): Step {
    let r: Step = -1;
    do {
      while (this.c() === ".") {
        out.s += ".";
        this.pos++;
        if (this.pos >= this.end) return 0;
        r = 1;
      }
      if (this.c() === "@") break;
      r = this.atom(out);
    } while (r > 0 && this.c() === ".");
    return r;
  }

  /** RFC 5322 §3.2.4 quoted-string; the cursor is on DQUOTE. */
  quotedString(out: { s: string }): Step {
    this.pos++;
    for (; this.pos < this.end; this.pos++) {
      const c = this.c();
      if (c === '"') {
        this.pos++;
        return this.skipLwsp();
      }
      if (c === "\\" && this.pos + 1 < this.end && !"\r\n\0".includes(this.text[this.pos + 1]!)) {
        this.pos++;
        out.s += this.c();
      } else if (c === "\0") out.s += replacementChar;
      else if (c !== "\r" && c !== "\n") out.s += c;
    }
    return -1; // missing DQUOTE
  }

  /** Atoms and dots without skipping the whitespace between them. */
  atomOrDot(out: { s: string }): Step {
    const start = this.pos;
    while (isAtext(this.c()) || this.c() === ".") this.pos++;
    out.s += this.text.slice(start, this.pos);
    return this.pos < this.end ? this.skipLwsp() : 0;
  }

  /** RFC 5322 §3.2.5 phrase and §4.1 obs-phrase; words joined by one space. */
  phrase(out: { s: string }): Step {
    if (this.pos >= this.end) return 0;
    if (this.c() === ".") return -1;
    for (;;) {
      const r = this.c() === '"' ? this.quotedString(out) : this.atomOrDot(out);
      if (r <= 0) return r;
      if (!isAtext(this.c()) && this.c() !== '"' && this.c() !== ".") break;
      out.s += " ";
    }
    return this.skipLwsp();
  }

  /** RFC 5322 §3.4.1 domain-literal; brackets and backslashes are kept. */
  domainLiteral(out: { s: string }): Step {
    const start = this.pos++;
    let from = start;
    for (; this.pos < this.end; this.pos++) {
      const c = this.c();
      if (c === "[") return -1;
      if (c === "]") {
        out.s += this.text.slice(from, this.pos + 1);
        this.pos++;
        return this.skipLwsp();
      }
      if (c === "\n") {
        let len = this.pos - from;
        if (len > 0 && this.text[this.pos - 1] === "\r") len--;
        out.s += this.text.slice(from, from + len);
        from = this.pos + 1;
      } else if (c === "\\") {
        if (this.pos + 1 >= this.end) return -1;
        this.pos++;
      }
    }
    return -1; // missing "]"
  }

  /** "@" domain (RFC 5322 §3.4.1 domain, §4.4 obs-domain); the cursor is on "@". */
  domain(out: { s: string }): Step {
    this.pos++;
    if (this.skipLwsp() <= 0) return -1;
    return this.c() === "[" ? this.domainLiteral(out) : this.dotAtom(out);
  }
}

/** Parser state: the cursor and the address being built, as in Dovecot's parser. */
class AddressParser {
  readonly cur: AddressCursor;
  readonly list: Address[] = [];
  addr: Address & { invalid?: boolean } = {};

  constructor(text: string) {
    this.cur = new AddressCursor(text);
  }

  add(): void {
    const { invalid: _, ...addr } = this.addr;
    this.list.push(addr);
    this.addr = {};
  }

  addFixed(): void {
    if (this.addr.mailbox === undefined) this.addr.mailbox = "MISSING_MAILBOX";
    if (this.addr.domain === undefined || this.addr.domain === "") {
      this.addr.domain = "MISSING_DOMAIN";
    }
    this.add();
  }

  /** RFC 5322 §3.4.1 local-part. */
  localPart(): Step {
    const out = { s: "" };
    const r = this.cur.c() === '"' ? this.cur.quotedString(out) : this.cur.looseDotAtom(out);
    if (r < 0) return -1;
    this.addr.mailbox = out.s;
    return r;
  }

  domain(): Step {
    const out = { s: "" };
    const r = this.cur.domain(out);
    if (r < 0) return -1;
    this.addr.domain = out.s;
    return r;
  }

  /** RFC 5322 §4.4 obs-route: "@" domain *("," ["@" domain]). */
  domainList(): Step {
    const out = { s: "" };
    const cur = this.cur;
    for (;;) {
      if (cur.pos >= cur.end) return 0;
      if (cur.c() !== "@") break;
      if (out.s.length > 0) out.s += ",";
      out.s += "@";
      const r = cur.domain(out);
      if (r <= 0) return r;
      while (cur.skipLwsp() > 0 && cur.c() === ",") cur.pos++;
    }
    this.addr.route = out.s;
    return 1;
  }

  /** RFC 5322 §3.4 angle-addr with §4.4 obs-angle-addr route; the cursor is on "<". */
  angleAddr(): Step {
    const cur = this.cur;
    cur.pos++;
    if (cur.skipLwsp() <= 0) return -1;
    if (cur.c() === "@") {
      if (this.domainList() > 0 && cur.c() === ":") cur.pos++;
      else {
        this.addr.route = "INVALID_ROUTE";
        if (cur.pos >= cur.end) return -1;
      }
      if (cur.skipLwsp() <= 0) return -1;
    }
    if (cur.c() !== ">") {
      if (this.localPart() <= 0) return -1;
      if (cur.c() === "@" && this.domain() <= 0) return -1;
    }
    if (cur.c() !== ">") return -1;
    cur.pos++;
    return cur.skipLwsp();
  }

  /** RFC 5322 §3.4 name-addr. */
  nameAddr(): Step {
    const out = { s: "" };
    if (this.cur.phrase(out) <= 0 || this.cur.c() !== "<") return -1;
    if (out.s !== "") this.addr.name = out.s;
    if (this.angleAddr() < 0) {
      this.addr.domain = "SYNTAX_ERROR";
      this.addr.invalid = true;
    }
    return this.cur.more();
  }

  /** RFC 5322 §3.4.1 addr-spec, with "addr (Name)" and a bare word as recoveries. */
  addrSpec(): Step {
    const cur = this.cur;
    cur.lastComment = "";
    const quotedLocal = cur.c() === '"';
    let r = this.localPart();
    if (r <= 0) this.addr.invalid = true;
    let r2: Step | undefined;
    if (r !== 0 && cur.pos < cur.end && cur.c() === "@") {
      r2 = this.domain();
      if (r2 <= 0) r = r2;
    }
    if (cur.lastComment.length > 0) {
      this.addr.name = cur.lastComment;
    } else if (r2 === undefined) {
      // A word without "@domain": a mailbox if alone, else the start of a display name.
      const out = { s: `${this.addr.mailbox ?? ""} ` };
      const before = out.s.length;
      cur.phrase(out);
      if (out.s.length !== before) {
        delete this.addr.mailbox;
        this.addr.name = out.s;
      } else if (!quotedLocal) {
        this.addr.domain = "";
      }
      this.addr.invalid = true;
      r = -1;
    }
    return r;
  }

  /** RFC 5322 §3.4 mailbox. */
  mailbox(): Step {
    const start = this.cur.pos;
    let r = this.nameAddr();
    if (r < 0) {
      this.cur.pos = start;
      r = this.addrSpec();
      const a = this.addr;
      if (a.invalid && a.name === undefined && a.mailbox !== undefined && a.domain === undefined) {
        a.name = a.mailbox;
        delete a.mailbox;
      }
    }
    if (r < 0) this.addr.invalid = true;
    this.addFixed();
    return r;
  }

  /** RFC 5322 §3.4 group; -1 only when this is not a group at all. */
  group(): Step {
    const cur = this.cur;
    const out = { s: "" };
    if (cur.phrase(out) <= 0 || cur.c() !== ":") return -1;
    cur.pos++;
    let r = cur.skipLwsp();
    this.addr.mailbox = out.s;
    this.add();
    if (r > 0 && cur.c() !== ";") {
      for (;;) {
        this.mailbox(); // a broken mailbox does not end the group
        if (cur.pos >= cur.end || cur.c() !== ",") break;
        cur.pos++;
        if (cur.skipLwsp() <= 0) {
          r = -1;
          break;
        }
      }
    }
    if (r >= 0) {
      if (cur.pos >= cur.end || cur.c() !== ";") r = -1;
      else {
        cur.pos++;
        r = cur.skipLwsp();
      }
    }
    this.add(); // the end-of-group marker
    return r === 0 ? 0 : 1;
  }

  /** RFC 5322 §3.4 address. */
  address(): Step {
    const start = this.cur.pos;
    const r = this.group();
    if (r >= 0) return r;
    this.cur.pos = start;
    return this.mailbox();
  }

  /** RFC 5322 §3.4 address-list and §4.4 obs-addr-list (empty elements). */
  addressList(): void {
    const cur = this.cur;
    for (;;) {
      if (this.address() === 0) break;
      if (cur.pos >= cur.end || cur.c() !== ",") break;
      cur.pos++;
      const r = cur.skipLwsp();
      if (r <= 0) {
        if (r < 0) this.addFixed(); // ends with garbage
        break;
      }
    }
  }
}

/**
 * Parses an address-list header value (an octet string); an empty or comment-only
 * value gives an empty list. Never throws.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5322#section-3.4
 */
export function parseAddressList(value: string): Address[] {
  const parser = new AddressParser(value);
  if (parser.cur.skipLwsp() <= 0) return [];
  parser.addressList();
  return parser.list;
}
