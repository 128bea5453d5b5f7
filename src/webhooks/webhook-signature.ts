import { hmacSha256Hex } from "../core/crypto.ts";

/**
 * `X-PyTake-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint's
 * secret>`. The time inside the signed text lets a receiver refuse replays (we suggest a
 * five-minute tolerance); `v1` names the scheme so it can change without breaking receivers.
 */
export async function signatureHeader(secret: string, body: string, unixSeconds: number): Promise<string> {
  return `t=${unixSeconds},v1=${await hmacSha256Hex(secret, `${unixSeconds}.${body}`)}`;
}
