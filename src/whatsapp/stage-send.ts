import { and, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import { contacts, conversations, messages, usageCounters, whatsappConfigs } from "../../db/schema/index.ts";
import { can, type Principal } from "../auth/principal.ts";
import { selectConversations } from "../conversations/conversation-view.ts";
import type { Db } from "../platform/db/database.ts";
import { allReads, mapRead, readQuery, type Reads } from "../platform/db/reads.ts";
import { periodOf } from "../tenants/usage.ts";
import { phoneVariants } from "./phone.ts";

/**
 * Everything a send does before calling the provider, as one batch (one round trip on Neon,
 * ROUND_TRIP_BUDGET.send): the contact found or created, its conversation on the number found,
 * reopened or opened, and then, only if every rule holds (the number live and active, the contact
 * not blocked, the conversation not another agent's, the 24-hour window open where it applies,
 * the quoted message known, the monthly quota not used up), the quota counted, the pending row
 * stored and the conversation moved. The batch ends by reading back the contact, the conversation
 * (with what its answer shows) and the message, which tell the caller which rule refused, if one
 * did. Ids are made here (UUIDv7), so no statement needs a value only an earlier one knows.
 */
export interface StageSendInput {
  tenantId: string;
  configId: string;
  phone: string;
  principal: Principal;
  /** Free-form content on a Meta number: only inside the 24-hour window. */
  windowApplies: boolean;
  /** The plan's monthly message limit. */
  limit: number;
  now: Date;
  message: {
    id: string;
    type: string;
    content: Record<string, unknown>;
    body: string | null;
    senderType: "agent" | "api";
    senderUserId: string | null;
    retryOf: string | null;
    /** Our id of the message being answered. */
    replyToMessageId?: string;
  };
  newContactId: string;
  newConversationId: string;
}

const iso = (d: Date) => sql`${d.toISOString()}::timestamptz`;

export function stageSend(i: StageSendInput) {
  const { tenantId, configId, now } = i;
  const contactId = sql`(select ${contacts.id} from ${contacts} where ${
    and(
      eq(contacts.tenantId, tenantId),
      inArray(contacts.phone, phoneVariants(i.phone)),
      isNull(contacts.deletedAt),
    )
  } order by (${contacts.phone} = ${i.phone}) desc limit 1)`;
  const liveConfig = sql`exists (select 1 from ${whatsappConfigs} where ${
    and(
      eq(whatsappConfigs.id, configId),
      eq(whatsappConfigs.tenantId, tenantId),
      eq(whatsappConfigs.isActive, true),
      isNull(whatsappConfigs.deletedAt),
    )
  })`;
  const notBlocked =
    sql`not coalesce((select ${contacts.blocked} from ${contacts} where ${contacts.id} = ${contactId}), true)`;
  const openOf = (contact: SQL) =>
    sql`select 1 from ${conversations} where ${conversations.contactId} = ${contact} and ${conversations.configId} = ${configId}::uuid and ${conversations.status} in ('active', 'waiting')`;
  const ownOnly = i.principal.kind === "user" && !can(i.principal, "assign:conversations");
  const m = i.message;

  const write = (db: Db) => [
    // The contact, if no form of the number is known yet (a concurrent send may win the race).
    db.execute(sql`
      insert into ${contacts} (id, tenant_id, phone, wa_id, created_at, updated_at)
      select ${i.newContactId}::uuid, ${tenantId}::uuid, ${i.phone}, ${i.phone.replace(/\D/g, "")}, ${
      iso(now)
    }, ${iso(now)}
      where ${liveConfig} and ${contactId} is null
      on conflict do nothing`),
    // Its latest resolved conversation on the number opens again when none is open…
    db.execute(sql`
      update ${conversations} set status = 'active', resolved_at = null, updated_at = ${iso(now)}
      where ${conversations.id} = (select ${conversations.id} from ${conversations}
          where ${conversations.contactId} = ${contactId} and ${conversations.configId} = ${configId}::uuid
            and ${conversations.status} = 'resolved'
          order by ${conversations.lastMessageAt} desc limit 1)
        and ${conversations.status} = 'resolved' and ${liveConfig} and ${notBlocked}
        and not exists (${openOf(contactId)})`),
    // …else a new one (the one-open-conversation index settles a race).
    db.execute(sql`
      insert into ${conversations} (id, tenant_id, contact_id, config_id, status, created_at, updated_at)
      select ${i.newConversationId}::uuid, ${tenantId}::uuid, ${contactId}, ${configId}::uuid, 'active', ${
      iso(now)
    }, ${iso(now)}
      where ${contactId} is not null and ${liveConfig} and ${notBlocked} and not exists (${openOf(contactId)})
      on conflict do nothing`),
    // The rules, the quota, the pending row and the conversation's activity: one statement.
    db.execute(sql`
      with c as (select ${contacts.id} as id from ${contacts} where ${contacts.id} = ${contactId}),
      conv as (select ${conversations.id} as id, ${conversations.assignedTo} as assigned_to,
          ${conversations.windowExpiresAt} as window_expires_at
        from ${conversations}
        where ${conversations.contactId} = (select id from c) and ${conversations.configId} = ${configId}::uuid
          and ${conversations.status} in ('active', 'waiting')
        limit 1),
      quoted as (select ${messages.providerMessageId} as provider_message_id from ${messages}
        where ${m.replyToMessageId ? sql`${messages.id} = ${m.replyToMessageId}::uuid` : sql`false`}
          and ${messages.tenantId} = ${tenantId}::uuid and ${messages.providerMessageId} is not null),
      allowed as (select 1 from conv where ${liveConfig} and ${notBlocked} and ${i.limit}::int >= 1
        ${
      ownOnly
        ? sql`and (conv.assigned_to is null or conv.assigned_to = ${
          i.principal.kind === "user" ? i.principal.userId : null
        }::uuid)`
        : sql``
    }
        ${i.windowApplies ? sql`and conv.window_expires_at > ${iso(now)}` : sql``}
        ${m.replyToMessageId ? sql`and exists (select 1 from quoted)` : sql``}),
      quota as (
        insert into ${usageCounters} (tenant_id, period, metric, value)
        select ${tenantId}::uuid, ${periodOf(now)}, 'messages', 1 from allowed
        on conflict (tenant_id, period, metric) do update set value = ${usageCounters.value} + 1
          where ${usageCounters.value} < ${i.limit}::int
        returning value),
      stored as (
        insert into ${messages} (id, tenant_id, conversation_id, contact_id, config_id, direction, type, content,
          body, status, reply_to, sender_type, sender_user_id, retry_of, timestamp, created_at)
        select ${m.id}::uuid, ${tenantId}::uuid, conv.id, c.id, ${configId}::uuid, 'outbound', ${m.type},
          ${JSON.stringify(m.content)}::jsonb, ${m.body}, 'pending', (select provider_message_id from quoted),
          ${m.senderType}, ${m.senderUserId}::uuid, ${m.retryOf}::uuid, ${iso(now)}, ${iso(now)}
        from c, conv where exists (select 1 from quota)
        returning id)
      update ${conversations} set last_message_at = ${iso(now)}, updated_at = ${iso(now)}
        ${
      // An agent's first answer after the customer wrote is the conversation's first response.
      i.principal.kind === "user"
        ? sql`, first_response_at = coalesce(${conversations.firstResponseAt}, case when ${conversations.lastInboundAt} is not null then ${
          iso(now)
        } end)`
        : sql``}
      where ${conversations.id} = (select id from conv) and exists (select 1 from stored)`),
  ];

  const read: Reads<StagedSend> = mapRead(
    allReads({
      config: readQuery((db) =>
        db.select().from(whatsappConfigs).where(
          and(
            eq(whatsappConfigs.id, configId),
            eq(whatsappConfigs.tenantId, tenantId),
            isNull(whatsappConfigs.deletedAt),
          ),
        )
      ),
      contact: readQuery((db) => db.select().from(contacts).where(sql`${contacts.id} = ${contactId}`)),
      conversation: readQuery((db) =>
        selectConversations(db).where(
          and(
            sql`${conversations.contactId} = ${contactId}`,
            eq(conversations.configId, configId),
            inArray(conversations.status, ["active", "waiting"]),
          ),
        ).limit(1)
      ),
      message: readQuery((db) => db.select().from(messages).where(eq(messages.id, m.id))),
      quoted: readQuery((db) =>
        db.select({ id: messages.id }).from(messages).where(
          m.replyToMessageId
            ? and(
              eq(messages.id, m.replyToMessageId),
              eq(messages.tenantId, tenantId),
              sql`${messages.providerMessageId} is not null`,
            )
            : sql`false`,
        )
      ),
    }),
    (r) => ({
      config: r.config[0],
      contact: r.contact[0],
      conversation: r.conversation[0],
      message: r.message[0],
      quoted: r.quoted.length > 0,
    }),
  );

  return {
    /** Writes first, then the reads that see what they did: one batch. */
    build(db: Db) {
      const reads = read.build(db);
      const writes = write(db);
      return {
        statements: [...writes, ...reads.statements],
        decode: (results: unknown[]) => reads.decode(results.slice(writes.length)),
      };
    },
  } satisfies Reads<StagedSend>;
}

export interface StagedSend {
  config: typeof whatsappConfigs.$inferSelect | undefined;
  contact: typeof contacts.$inferSelect | undefined;
  conversation: Awaited<ReturnType<ReturnType<typeof selectConversations>["where"]>>[number] | undefined;
  message: typeof messages.$inferSelect | undefined;
  quoted: boolean;
}
