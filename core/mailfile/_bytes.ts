/**
 * A growable byte buffer, reused across messages so that reading an mbox allocates in
 * proportion to its largest message, not to the number of messages.
 *
 * @module
 */

/** Appends bytes; {@linkcode ByteBuffer.take} copies the content out and empties it. */
export class ByteBuffer {
  #bytes: Uint8Array;
  #length = 0;

  constructor(initialCapacity = 64 * 1024) {
    this.#bytes = new Uint8Array(initialCapacity);
  }

  /** Octets held. */
  get length(): number {
    return this.#length;
  }

  /** The content, valid until the next change. */
  view(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  append(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#bytes.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  appendByte(byte: number): void {
    this.#reserve(1);
    this.#bytes[this.#length++] = byte;
  }

  /** Copies the content out and empties the buffer. */
  take(): Uint8Array {
    const out = this.#bytes.slice(0, this.#length);
    this.clear();
    return out;
  }

  /** Empties the buffer; shrinks storage past 1 MiB so one huge message is not kept. */
  clear(): void {
    this.#length = 0;
    if (this.#bytes.length > 1024 * 1024) this.#bytes = new Uint8Array(64 * 1024);
  }

  #reserve(extra: number): void {
    const need = this.#length + extra;
    if (need <= this.#bytes.length) return;
    let capacity = Math.max(this.#bytes.length, 1024);
    while (capacity < need) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }
}

/** The bytes of an ASCII string. */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Bytes as Latin-1 text: one character per octet, so offsets agree. */
export function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

/** True when `bytes` begins with `prefix`. */
export function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
