import { sql } from "drizzle-orm";
import { type AiPromptPurpose, contacts, conversations, messages } from "../../db/schema/index.ts";
import { resultRows } from "../platform/db/database.ts";
import type { Services } from "../services.ts";
import type { TranscriptLine } from "./ai-port.ts";
import { settingsAndUsage, type SettingsAndUsageRow } from "./ai-settings.ts";
import { activePrompts, type PromptRow, type PromptValues } from "./prompts.ts";

/**
 * What summarize, suggest-response and chat need about a conversation, loaded in one round
 * trip: the tenant's AI settings and month usage, the conversation with its contact and its
 * last messages, and the tenant's active prompts of the purpose, as one batch. A conversation
 * of another tenant is simply not found.
 */

/** Messages read: the newest 60, enough for a summary and cheap to send to a model. */
export const TRANSCRIPT_LIMIT = 60;

export interface ConversationForAi {
  id: string;
  status: string;
  contact: { name: string | null; phone: string; email: string | null };
  lines: TranscriptLine[];
  lastCustomerMessage: string | null;
}

interface ConversationRow {
  id: string;
  status: string;
  contact_name: string | null;
  phone: string;
  email: string | null;
  lines: { direction: string; sender_type: string; type: string; body: string | null; at: string }[] | string;
}

const MEDIA: Record<string, string> = {
  image: "[imagem]",
  audio: "[áudio]",
  video: "[vídeo]",
  document: "[documento]",
  sticker: "[figurinha]",
  location: "[localização]",
  contacts: "[contato]",
};

export async function loadConversationForAi(
  s: Services,
  tenantId: string,
  conversationId: string,
  purpose: AiPromptPurpose,
): Promise<
  { settings: SettingsAndUsageRow | undefined; conversation: ConversationForAi | null; prompts: PromptRow[] }
> {
  const now = s.clock.now();
  const [settingsResult, conversationResult, prompts] = await s.database.atomic((db) =>
    [
      db.execute(settingsAndUsage(tenantId, now)),
      db.execute(sql`
        select c.id, c.status, coalesce(ct.name, ct.profile_name) as contact_name, ct.phone, ct.email,
          coalesce((select json_agg(m order by m.at, m.id) from (
            select ${messages.id} as id, ${messages.direction} as direction, ${messages.senderType} as sender_type,
              ${messages.type} as type, ${messages.body} as body, ${messages.timestamp} as at
            from ${messages}
            where ${messages.conversationId} = c.id and ${messages.tenantId} = ${tenantId}
            order by ${messages.timestamp} desc limit ${TRANSCRIPT_LIMIT}) m), '[]'::json) as lines
        from ${conversations} c join ${contacts} ct on ct.id = c.contact_id
        where c.id = ${conversationId} and c.tenant_id = ${tenantId}`),
      activePrompts(db, tenantId, purpose),
    ] as const
  );
  const settings = resultRows<SettingsAndUsageRow>(settingsResult)[0];
  const row = resultRows<ConversationRow>(conversationResult)[0];
  if (!row) return { settings, conversation: null, prompts };
  const raw = typeof row.lines === "string" ? JSON.parse(row.lines) : row.lines;
  const lines: TranscriptLine[] = (raw as Exclude<ConversationRow["lines"], string>)
    .map((m) => ({
      role:
        (m.sender_type === "contact"
          ? "customer"
          : m.sender_type === "bot"
          ? "bot"
          : "agent") as TranscriptLine["role"],
      text: m.body?.trim() || MEDIA[m.type] || `[${m.type}]`,
      at: new Date(m.at).toISOString(),
    }));
  const lastCustomer = [...lines].reverse().find((l) => l.role === "customer");
  return {
    settings,
    prompts,
    conversation: {
      id: row.id,
      status: row.status,
      contact: { name: row.contact_name, phone: row.phone, email: row.email },
      lines,
      lastCustomerMessage: lastCustomer?.text ?? null,
    },
  };
}

/** The prompt variables a conversation fills. */
export function conversationValues(c: ConversationForAi, lastMessage?: string | null): PromptValues {
  return {
    "contact.name": c.contact.name,
    "contact.first_name": c.contact.name?.trim().split(/\s+/)[0],
    "contact.phone": c.contact.phone,
    "contact.email": c.contact.email,
    "conversation.id": c.id,
    "conversation.status": c.status,
    "conversation.last_message": lastMessage ?? c.lastCustomerMessage,
  };
}

/** Settings, month usage and the active prompts of a purpose, without a conversation: one batch. */
export async function loadPromptsForAi(s: Services, tenantId: string, purpose: AiPromptPurpose) {
  const [settingsResult, prompts] = await s.database.atomic((db) =>
    [db.execute(settingsAndUsage(tenantId, s.clock.now())), activePrompts(db, tenantId, purpose)] as const
  );
  return { settings: resultRows<SettingsAndUsageRow>(settingsResult)[0], prompts };
}
