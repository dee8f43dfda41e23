/**
 * A small SCRAM client for tests (RFC 5802 §5 from the client's side), with knobs to
 * misbehave: any gs2 flag, any channel-binding data, a fixed nonce, a forged proof.
 */

import { hash, hi, hmac, type ScramHash, xor } from "./_crypto.ts";
import { encodeSaslname } from "./_scram_parse.ts";
import { encodeBase64, tryDecodeBase64 } from "./base64.ts";
import { saslprep } from "./saslprep.ts";

const encoder = new TextEncoder();

export interface TestClientOptions {
  hash: ScramHash;
  username: string;
  password: string;
  /** gs2-cbind-flag: "n" (default), "y" or "p=<type>". */
  flag?: string;
  authzid?: string;
  /** Channel-binding data appended to the gs2-header in c= (for "p"). */
  cbData?: Uint8Array;
  clientNonce?: string;
}

export class ScramTestClient {
  readonly clientNonce: string;
  readonly gs2Header: string;
  readonly bare: string;
  #serverSignature = "";

  constructor(readonly options: TestClientOptions) {
    this.clientNonce = options.clientNonce ??
      encodeBase64(crypto.getRandomValues(new Uint8Array(18)));
    const a = options.authzid === undefined ? "" : `a=${encodeSaslname(options.authzid)}`;
    this.gs2Header = `${options.flag ?? "n"},${a},`;
    this.bare = `n=${encodeSaslname(options.username)},r=${this.clientNonce}`;
  }

  /** client-first-message. */
  first(): string {
    return this.gs2Header + this.bare;
  }

  /** client-final-message for `serverFirst`. */
  async final(serverFirst: string): Promise<string> {
    const m = /^r=([^,]+),s=([^,]+),i=(\d+)$/.exec(serverFirst);
    if (m === null) throw new Error(`Cannot parse server-first: ${serverFirst}`);
    const [, nonce, salt, iterations] = m;
    if (!nonce!.startsWith(this.clientNonce)) throw new Error("Cannot continue: nonce");
    const h = this.options.hash;
    const header = encoder.encode(this.gs2Header);
    const cbind = new Uint8Array(header.length + (this.options.cbData?.length ?? 0));
    cbind.set(header);
    if (this.options.cbData) cbind.set(this.options.cbData, header.length);
    const withoutProof = `c=${encodeBase64(cbind)},r=${nonce}`;
    const salted = await hi(
      h,
      encoder.encode(saslprep(this.options.password)),
      tryDecodeBase64(salt!)!,
      Number(iterations),
    );
    const clientKey = await hmac(h, salted, "Client Key");
    const storedKey = await hash(h, clientKey);
    const authMessage = `${this.bare},${serverFirst},${withoutProof}`;
    const proof = xor(clientKey, await hmac(h, storedKey, authMessage));
    const serverKey = await hmac(h, salted, "Server Key");
    this.#serverSignature = encodeBase64(await hmac(h, serverKey, authMessage));
    return `${withoutProof},p=${encodeBase64(proof)}`;
  }

  /** True when `serverFinal` proves the server knows the password. */
  verify(serverFinal: string): boolean {
    return this.#serverSignature !== "" && serverFinal === `v=${this.#serverSignature}`;
  }
}
