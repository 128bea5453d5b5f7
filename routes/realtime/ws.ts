import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import type { Permission } from "../../src/auth/permissions.ts";
import {
  isWebSocketUpgrade,
  offeredProtocols,
  WS_SUBPROTOCOL,
  WS_TOKEN_PREFIX,
} from "../../src/auth/websocket-token.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { problemResponse } from "../../src/http/openapi-schemas.ts";
import { ApiError } from "../../src/http/problem.ts";
import {
  type Channel,
  CHANNELS,
  HEARTBEAT_TIMEOUT_MS,
  MAX_FRAME_BYTES,
} from "../../src/platform/realtime/protocol.ts";
import { HandshakeError } from "../../src/platform/realtime/realtime.ts";

export const TAG = "Realtime";

/** The permission each channel needs: a subscription to a channel the caller lacks is denied. */
export const CHANNEL_PERMISSIONS: Record<Channel, Permission> = {
  messages: "read:messages",
  conversations: "read:conversations",
  contacts: "read:contacts",
  whatsapp: "read:whatsapp",
  campaigns: "read:campaigns",
  agents: "read:dashboard",
  erp: "read:erp",
};

export const allowedChannels = (permissions: ReadonlySet<Permission>): Channel[] =>
  CHANNELS.filter((c) => permissions.has(CHANNEL_PERMISSIONS[c]));

const description = `
A WebSocket of the caller's tenant: events of the channels it subscribes to, as they happen.

**Authentication**, checked before the upgrade (a bad token is a 401 problem, never a socket): a user's
access token in \`Authorization: Bearer <token>\`, or, since browsers cannot set that header, as the
subprotocol \`${WS_TOKEN_PREFIX}<token>\` offered next to \`${WS_SUBPROTOCOL}\`
(\`new WebSocket(url, ["${WS_SUBPROTOCOL}", "${WS_TOKEN_PREFIX}" + token])\`; the 101 echoes \`${WS_SUBPROTOCOL}\`, never
the token), or in \`?token=\` (last resort: URLs end up in logs). API keys are refused (403): the socket
belongs to a person, counts in presence and lives no longer than their 15-minute token. When the
token expires the server closes the socket with **4001** "token expired"; reconnect with a fresh one.

**Client frames** (JSON text, at most ${MAX_FRAME_BYTES} bytes):
- \`{"type":"subscribe","channels":["messages","conversations"]}\` → \`{"type":"subscribed","channels":[granted…],"denied":[…]}\`
- \`{"type":"unsubscribe","channels":["messages"]}\` → \`{"type":"unsubscribed","channels":[…]}\`
- \`{"type":"ping"}\` → \`{"type":"pong"}\`

**Server frames**:
- \`{"type":"welcome","user_id","channels_allowed":[…],"heartbeat_timeout_seconds","expires_at"}\`, first
- \`{"type":"event","channel","event","data","id","created_at"}\`, e.g. \`message.received\` on \`messages\`
- \`{"type":"error","code":"bad_frame"|"unknown_type"|"frame_too_large","message"}\`: the socket stays open

**Channels** and the permission each needs: ${
  CHANNELS.map((c) => `\`${c}\` (\`${CHANNEL_PERMISSIONS[c]}\`)`).join(", ")
}. \`agents\` carries presence: \`agent.online\` when a user's first socket opens, \`agent.offline\`
when their last one closes.

**Heartbeat**: a socket the server has not heard from (any frame, a ping included) for
${HEARTBEAT_TIMEOUT_MS / 1000} s is closed with **4000** "heartbeat timeout"; send a ping every 30 s.
`.trim();

export const route = defineRoute({ user: true }, {
  method: "get",
  path: "/ws",
  tags: [TAG],
  operationId: "connectRealtime",
  summary: "Realtime events (WebSocket)",
  description,
  webSocket: true,
  request: {
    query: z.object({
      token: z.string().optional().openapi({
        description: "The access token, for clients that can set neither a header nor a subprotocol.",
      }),
    }),
    headers: z.object({
      "sec-websocket-protocol": z.string().optional().openapi({
        description: `\`${WS_SUBPROTOCOL}\`, optionally with \`${WS_TOKEN_PREFIX}<token>\`.`,
        example: `${WS_SUBPROTOCOL}, ${WS_TOKEN_PREFIX}eyJhbGciOiJIUzI1NiJ9…`,
      }),
    }),
  },
  responses: {
    101: {
      description: "Switching Protocols: the socket is open and a `welcome` frame follows.",
      headers: {
        "Sec-WebSocket-Protocol": {
          description: `\`${WS_SUBPROTOCOL}\` when the client offered it.`,
          schema: { type: "string", example: WS_SUBPROTOCOL },
        },
      },
    },
    400: problemResponse("Not a valid WebSocket handshake, or subprotocols offered without `pytake`."),
    426: problemResponse("A plain HTTP request: this endpoint answers only the WebSocket handshake."),
  },
});

export const registerWs = (app: App) =>
  app.openapi(route, async (c) => {
    const req = c.req.raw;
    if (!isWebSocketUpgrade(req)) {
      throw new ApiError(
        "upgrade_required",
        "This endpoint speaks WebSocket only; send the upgrade handshake",
        {
          headers: { Upgrade: "websocket" },
        },
      );
    }
    const p = c.get("principal");
    if (p?.kind !== "user" || !p.tenantId) {
      throw new ApiError(
        "forbidden",
        "The platform administrator belongs to no tenant and has no events to follow",
      );
    }
    if (!req.headers.get("sec-websocket-key")) {
      throw new ApiError("bad_request", "Not a WebSocket handshake: `Sec-WebSocket-Key` is missing");
    }
    const offered = offeredProtocols(req);
    const protocol = offered.includes(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : undefined;
    if (offered.length > 0 && !protocol) {
      // Browsers drop a socket whose 101 echoes none of the offered subprotocols, and the token
      // must never be echoed: `pytake` is the one to answer with.
      throw new ApiError(
        "bad_request",
        `Offer the \`${WS_SUBPROTOCOL}\` subprotocol; the server answers with it`,
      );
    }
    try {
      return await c.get("services").realtime.connect(req, {
        userId: p.userId,
        tenantId: p.tenantId,
        channelsAllowed: allowedChannels(p.permissions),
        tokenExpiresAt: p.tokenExpiresAt * 1000,
      }, { protocol });
    } catch (err) {
      if (err instanceof HandshakeError) {
        throw new ApiError("bad_request", `Not a valid WebSocket handshake: ${err.message}`);
      }
      throw err;
    }
  });
