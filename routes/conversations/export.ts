import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { audit, requestMeta } from "../../src/audit/audit-log.ts";
import { conversationStats } from "../../src/conversations/conversation-stats.ts";
import { findConversation } from "../../src/conversations/manage-conversations.ts";
import { loadTranscript } from "../../src/conversations/transcript/load-transcript.ts";
import { transcriptCsv } from "../../src/conversations/transcript/transcript-csv.ts";
import { transcriptJson } from "../../src/conversations/transcript/transcript-json.ts";
import { transcriptPdf } from "../../src/conversations/transcript/transcript-pdf.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonContent } from "../../src/http/openapi-schemas.ts";
import { notFound } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { PeriodQuerySchema } from "../../src/tenants/period.ts";
import { TAG } from "./schemas.ts";

export const exportRoute = defineRoute({ permission: "read:conversations" }, {
  method: "get",
  path: "/api/v1/conversations/{id}/export",
  tags: [TAG],
  operationId: "exportConversation",
  summary: "Export the transcript (PDF, CSV or JSON)",
  description:
    "Every message in order with its time (in the tenant's time zone), sender, media references and status, and the internal notes in place. PDF: an A4 document with page numbers; CSV: UTF-8 with BOM; JSON: the same data as objects. At most 10,000 messages; `X-Transcript-Truncated: true` says when there were more.",
  request: {
    params: IdParam,
    query: z.object({ format: z.enum(["pdf", "csv", "json"]).default("pdf") }),
  },
  responses: {
    200: {
      description: "The transcript, as an attachment.",
      content: {
        "application/pdf": { schema: z.string().openapi({ format: "binary" }) },
        "text/csv": { schema: z.string() },
        "application/json": { schema: z.record(z.string(), z.unknown()) },
      },
    },
  },
});

const StatsQuery = PeriodQuerySchema;

const Seconds = z.number().int().nullable();

export const statsRoute = defineRoute({ permission: "read:conversations" }, {
  method: "get",
  path: "/api/v1/conversations/stats",
  tags: [TAG],
  operationId: "conversationStats",
  summary: "Inbox statistics",
  description:
    "For the period: new and resolved conversations, counts by status of those active in it, open and unassigned now, first-response and resolution times (average and median, in seconds from the conversation's start), and the same per agent.",
  request: { query: StatsQuery },
  responses: {
    200: jsonContent(
      z.object({
        period: z.enum(["today", "week", "month", "custom"]),
        time_zone: z.string().openapi({ example: "America/Sao_Paulo" }),
        from: z.string(),
        to: z.string(),
        new: z.number().int(),
        resolved: z.number().int(),
        by_status: z.object({
          active: z.number().int(),
          waiting: z.number().int(),
          resolved: z.number().int(),
          archived: z.number().int(),
        }),
        open_now: z.number().int(),
        unassigned_open: z.number().int(),
        first_response_seconds: z.object({ average: Seconds, median: Seconds, count: z.number().int() }),
        resolution_seconds: z.object({ average: Seconds, median: Seconds, count: z.number().int() }),
        by_agent: z.array(z.object({
          user_id: z.uuid(),
          name: z.string().nullable(),
          conversations: z.number().int(),
          open_now: z.number().int(),
          resolved: z.number().int(),
          first_response_seconds: z.object({ average: Seconds, median: Seconds }),
          resolution_seconds: z.object({ average: Seconds }),
        })),
      }).openapi("ConversationStats"),
      "Statistics.",
    ),
  },
});

export const registerConversationExport = (app: App) => {
  app.openapi(exportRoute, async (c) => {
    const s = c.get("services");
    const found = await findConversation(s, c.get("principal")!, c.req.valid("param").id);
    if (!found) throw notFound("Conversation");
    const { format } = c.req.valid("query");
    const transcript = await loadTranscript(s, found);
    await audit(s, requestMeta(c), {
      action: "conversation.export",
      targetType: "conversation",
      targetId: found.conversation.id,
      metadata: { format, entries: transcript.entries.length },
    });
    const name = `conversa-${found.conversation.id}.${format}`;
    const headers = {
      "content-disposition": `attachment; filename="${name}"`,
      "x-transcript-truncated": String(transcript.truncated),
    };
    if (format === "json") return c.json(transcriptJson(transcript), 200, headers);
    if (format === "csv") {
      return c.body(transcriptCsv(transcript), 200, {
        ...headers,
        "content-type": "text/csv; charset=utf-8",
      });
    }
    const pdf = await transcriptPdf(transcript);
    return c.body(pdf as Uint8Array<ArrayBuffer>, 200, { ...headers, "content-type": "application/pdf" });
  });
};

export const registerConversationStats = (app: App) => {
  app.openapi(statsRoute, async (c) => {
    const stats = unwrap(
      await conversationStats(
        c.get("services"),
        c.get("principal")!,
        c.get("tenant")?.settings,
        c.req.valid("query"),
      ),
    );
    // deno-lint-ignore no-explicit-any
    return c.json(stats as any, 200);
  });
};
