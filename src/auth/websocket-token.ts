/**
 * Browsers cannot set `Authorization` on a WebSocket handshake, so `/ws` (and only `/ws`) also
 * takes the access token from the subprotocol list or from `?token=`:
 *
 *   new WebSocket(url, ["pytake", `bearer.${token}`])   // preferred: not in URLs or access logs
 *   new WebSocket(`${url}?token=${token}`)               // fallback for clients without subprotocols
 *
 * The server answers with `Sec-WebSocket-Protocol: pytake`, never the entry that holds the token
 * (browsers require the echo of one offered protocol). A JWT is made of base64url and dots, all
 * valid in a subprotocol token (RFC 6455 §4.1).
 */

export const WS_SUBPROTOCOL = "pytake";
export const WS_TOKEN_PREFIX = "bearer.";

export function isWebSocketUpgrade(req: Request): boolean {
  return req.headers.get("upgrade")?.toLowerCase() === "websocket";
}

/** The subprotocols the client offered, in its order. */
export function offeredProtocols(req: Request): string[] {
  const raw = req.headers.get("sec-websocket-protocol");
  return raw ? raw.split(",").map((p) => p.trim()).filter(Boolean) : [];
}

/**
 * The token of a WebSocket handshake when it is not in `Authorization`: from a `bearer.<token>`
 * subprotocol, else from `?token=`. Nothing for requests that are not handshakes, so a token in a
 * URL is never accepted on a plain request.
 */
export function handshakeToken(req: Request): string | undefined {
  if (!isWebSocketUpgrade(req)) return undefined;
  const fromProtocol = offeredProtocols(req).find((p) => p.startsWith(WS_TOKEN_PREFIX));
  if (fromProtocol) return fromProtocol.slice(WS_TOKEN_PREFIX.length) || undefined;
  return new URL(req.url).searchParams.get("token") || undefined;
}
