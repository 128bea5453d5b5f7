import type { contacts } from "../../db/schema/index.ts";

export type ContactRow = typeof contacts.$inferSelect;

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The API's view of a contact. */
export function contactView(c: ContactRow) {
  return {
    id: c.id,
    phone: c.phone,
    wa_id: c.waId,
    name: c.name,
    profile_name: c.profileName,
    email: c.email,
    tags: c.tags,
    attributes: c.attributes,
    opt_in: c.optIn,
    opt_in_at: iso(c.optInAt),
    opt_out_at: iso(c.optOutAt),
    blocked: c.blocked,
    last_seen_at: iso(c.lastSeenAt),
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

export type ContactView = ReturnType<typeof contactView>;

/**
 * A contact as it shows beside a conversation or a message: enough to render the row (the name
 * falls back on the WhatsApp profile name).
 */
export function contactSummary(c: {
  id: string;
  name: string | null;
  profileName: string | null;
  phone: string;
  email: string | null;
  blocked: boolean;
}) {
  return { id: c.id, name: c.name ?? c.profileName, phone: c.phone, email: c.email, blocked: c.blocked };
}

export type ContactSummary = ReturnType<typeof contactSummary>;
