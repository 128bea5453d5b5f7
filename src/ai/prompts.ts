import { and, desc, eq, sql } from "drizzle-orm";
import { type AiPromptPurpose, aiPrompts } from "../../db/schema/index.ts";
import { auditInsertWhere, type RequestMeta } from "../audit/audit-log.ts";
import type { Principal } from "../auth/principal.ts";
import { uuidv7 } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { offsetOf, type PageParams } from "../http/pagination.ts";
import type { FieldError } from "../http/problem.ts";
import { isUniqueViolation } from "../platform/db/errors.ts";
import type { Db } from "../platform/db/database.ts";
import type { Services } from "../services.ts";
import { intents } from "./offline/intents.ts";

/**
 * A tenant's prompts: named, per purpose, with `{{…}}` variables from a known list, checked when
 * saved so a typo never reaches a customer. `render` fills them from what a call knows (the
 * contact, the conversation, the ERP customer once the flows engine passes it).
 */

export const PROMPT_VARIABLES = {
  "contact.name": "The contact's name (or WhatsApp profile name).",
  "contact.first_name": "The first word of the contact's name.",
  "contact.phone": "The contact's phone, E.164.",
  "contact.email": "The contact's e-mail.",
  "conversation.id": "The conversation's id.",
  "conversation.last_message": "The customer's last message.",
  "conversation.status": "active, waiting, resolved or archived.",
  "erp.customer.name": "The customer's name in the ERP.",
  "erp.customer.plan": "The customer's plan in the ERP.",
  "erp.customer.status": "The customer's contract status in the ERP.",
  "erp.customer.due_date": "The next invoice's due date.",
  "erp.invoice.amount": "The open invoice's amount.",
  "tenant.name": "The company's name.",
  "agent.name": "The agent answering.",
} as const;

export type PromptVariable = keyof typeof PROMPT_VARIABLES;
export type PromptValues = Partial<Record<PromptVariable, string | null | undefined>>;

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The variables of a content, or the errors that keep it from being saved. */
export function checkPromptContent(content: string): { variables: string[]; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const variables = [...new Set([...content.matchAll(VARIABLE)].map((m) => m[1]))];
  for (const v of variables) {
    if (!(v in PROMPT_VARIABLES)) {
      errors.push({
        path: "body.content",
        message: `Unknown variable {{${v}}}; known: ${
          Object.keys(PROMPT_VARIABLES).map((k) => `{{${k}}}`).join(", ")
        }`,
      });
    }
  }
  const stray = content.replace(VARIABLE, "");
  if (/\{\{|\}\}/.test(stray)) errors.push({ path: "body.content", message: "An unclosed {{ or a stray }}" });
  return { variables, errors };
}

export function renderPrompt(content: string, values: PromptValues): string {
  return content.replace(VARIABLE, (_m, name: string) => values[name as PromptVariable]?.trim() ?? "");
}

export type PromptRow = typeof aiPrompts.$inferSelect;

export function promptView(p: PromptRow) {
  return {
    id: p.id,
    name: p.name,
    purpose: p.purpose,
    intent: p.intent,
    content: p.content,
    description: p.description,
    variables: p.variables,
    is_active: p.isActive,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}

export type PromptView = ReturnType<typeof promptView>;

export interface PromptInput {
  name: string;
  purpose: AiPromptPurpose;
  content: string;
  intent?: string | null;
  description?: string | null;
  is_active?: boolean;
}

const own = (p: Principal) => eq(aiPrompts.tenantId, p.tenantId!);

export async function listPrompts(s: Services, p: Principal, q: PageParams & { purpose?: AiPromptPurpose }) {
  const where = and(own(p), q.purpose ? eq(aiPrompts.purpose, q.purpose) : undefined);
  // Page and total in one statement (one round trip on Neon).
  const rows = await s.database.db.select({ prompt: aiPrompts, total: sql<number>`count(*) over ()` })
    .from(aiPrompts).where(where).orderBy(desc(aiPrompts.createdAt), desc(aiPrompts.id))
    .limit(q.limit).offset(offsetOf(q));
  let total = rows.length ? Number(rows[0].total) : 0;
  if (!rows.length && q.page > 1) {
    total = Number(
      (await s.database.db.select({ n: sql<number>`count(*)` }).from(aiPrompts).where(where))[0].n,
    );
  }
  return { data: rows.map((r) => promptView(r.prompt)), total };
}

function checkInput(
  input: Partial<PromptInput>,
  purpose: AiPromptPurpose | undefined,
): Result<string[] | undefined> {
  const errors: FieldError[] = [];
  let variables: string[] | undefined;
  if (input.content !== undefined) {
    const checked = checkPromptContent(input.content);
    errors.push(...checked.errors);
    variables = checked.variables;
  }
  if (input.intent && !(intents as readonly string[]).includes(input.intent)) {
    errors.push({ path: "body.intent", message: `One of ${intents.join(", ")}` });
  }
  if (input.intent && purpose && purpose !== "suggest") {
    errors.push({ path: "body.intent", message: "Only suggest prompts answer an intent" });
  }
  if (errors.length) return fail("validation_failed", "The prompt cannot be saved as it is", { errors });
  return ok(variables);
}

const nameTaken = (name: string) =>
  fail<never>("conflict", `A prompt named "${name}" exists already`, {
    errors: [{ path: "body.name", message: "Taken" }],
  });

export async function createPrompt(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  input: PromptInput,
): Promise<Result<PromptView>> {
  const checked = checkInput(input, input.purpose);
  if (!checked.ok) return checked;
  const now = s.clock.now();
  const row: PromptRow = {
    id: uuidv7(),
    tenantId: p.tenantId!,
    name: input.name.trim(),
    purpose: input.purpose,
    intent: input.intent ?? null,
    content: input.content,
    description: input.description?.trim() || null,
    variables: checked.value ?? [],
    isActive: input.is_active ?? true,
    createdBy: p.kind === "user" ? p.userId : null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await s.database.atomic((db) =>
      [
        db.insert(aiPrompts).values(row),
        auditInsertWhere(
          db,
          meta,
          {
            action: "ai.prompt.create",
            targetType: "ai_prompt",
            targetId: row.id,
            metadata: { name: row.name, purpose: row.purpose },
          },
          now,
          sql`true`,
        ),
      ] as const
    );
  } catch (err) {
    if (isUniqueViolation(err)) return nameTaken(row.name);
    throw err;
  }
  return ok(promptView(row));
}

/** Changes a prompt in one conditional statement (its tenant's, or nothing: 404). */
export async function updatePrompt(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
  input: Partial<PromptInput>,
): Promise<Result<PromptView>> {
  const checked = checkInput(input, input.purpose);
  if (!checked.ok) return checked;
  const now = s.clock.now();
  const purpose = input.purpose !== undefined ? sql`${input.purpose}` : sql`${aiPrompts.purpose}`;
  const intent = input.intent !== undefined ? sql`${input.intent}` : sql`${aiPrompts.intent}`;
  const changes = {
    ...(input.name !== undefined ? { name: input.name.trim() } : {}),
    ...(input.purpose !== undefined ? { purpose: input.purpose } : {}),
    ...(input.content !== undefined ? { content: input.content, variables: checked.value ?? [] } : {}),
    ...(input.description !== undefined ? { description: input.description?.trim() || null } : {}),
    ...(input.is_active !== undefined ? { isActive: input.is_active } : {}),
    // Only suggest prompts answer an intent, whatever the change combines.
    intent: sql`case when ${purpose} = 'suggest' then ${intent} else null end`,
  };
  try {
    const [rows] = await s.database.atomic((db) =>
      [
        db.update(aiPrompts).set({ ...changes, updatedAt: now })
          .where(and(eq(aiPrompts.id, id), own(p))).returning(),
        auditInsertWhere(
          db,
          meta,
          {
            action: "ai.prompt.update",
            targetType: "ai_prompt",
            targetId: id,
            metadata: { fields: Object.keys(input) },
          },
          now,
          sql`exists (select 1 from ${aiPrompts} where ${
            and(eq(aiPrompts.id, id), own(p), eq(aiPrompts.updatedAt, now))
          })`,
        ),
      ] as const
    );
    if (rows.length === 0) return fail("not_found", "Prompt not found");
    return ok(promptView(rows[0]));
  } catch (err) {
    if (isUniqueViolation(err)) return nameTaken(input.name ?? "");
    throw err;
  }
}

export async function deletePrompt(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
): Promise<Result<null>> {
  const now = s.clock.now();
  // The audit row goes first, while the prompt still exists (and only if it is the tenant's).
  const [, rows] = await s.database.atomic((db) =>
    [
      auditInsertWhere(
        db,
        meta,
        {
          action: "ai.prompt.delete",
          targetType: "ai_prompt",
          targetId: id,
          metadata: {},
        },
        now,
        sql`exists (select 1 from ${aiPrompts} where ${and(eq(aiPrompts.id, id), own(p))})`,
      ),
      db.delete(aiPrompts).where(and(eq(aiPrompts.id, id), own(p))).returning({ id: aiPrompts.id }),
    ] as const
  );
  if (rows.length === 0) return fail("not_found", "Prompt not found");
  return ok(null);
}

/** The active prompts of a purpose, newest first, as one statement for a batch (built on its `db`). */
export const activePrompts = (db: Db, tenantId: string, purpose: AiPromptPurpose) =>
  db.select().from(aiPrompts)
    .where(
      and(eq(aiPrompts.tenantId, tenantId), eq(aiPrompts.purpose, purpose), eq(aiPrompts.isActive, true)),
    )
    .orderBy(desc(aiPrompts.createdAt)).limit(20);
