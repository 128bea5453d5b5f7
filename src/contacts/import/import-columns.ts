/**
 * Which column of an uploaded file feeds which contact field. Headers are matched loosely (case,
 * accents, spaces and dashes do not matter) against the names Brazilian teams use in their
 * spreadsheets and the ones our own export writes, so an export imports back as it was.
 */

import { storableText } from "../../core/storable-text.ts";

export type ContactField = "phone" | "name" | "email" | "tags" | "opt_in" | "blocked";

const aliases: Record<ContactField, string[]> = {
  phone: [
    "phone",
    "phone_number",
    "telefone",
    "celular",
    "whatsapp",
    "numero",
    "numero_whatsapp",
    "mobile",
    "tel",
    "fone",
  ],
  name: ["name", "nome", "full_name", "nome_completo", "cliente", "contato", "contact"],
  email: ["email", "e_mail", "mail", "correio"],
  tags: ["tags", "tag", "etiquetas", "etiqueta", "marcadores", "labels"],
  opt_in: ["opt_in", "optin", "consentimento", "aceita_mensagens"],
  blocked: ["blocked", "bloqueado"],
};

/** Columns of our export that describe the row rather than the customer: not imported. */
const ignored = new Set([
  "id",
  "wa_id",
  "profile_name",
  "opt_in_at",
  "opt_out_at",
  "last_seen_at",
  "created_at",
  "updated_at",
]);

const ATTRIBUTE_PREFIX = "attributes.";

/** `Número WhatsApp` → `numero_whatsapp`. */
export function normalizeHeader(h: string): string {
  return h.normalize("NFD").replace(/\p{M}/gu, "").trim().toLowerCase().replace(/[\s-]+/g, "_");
}

export interface ColumnPlan {
  /** Index of the column feeding each field found. */
  fields: Partial<Record<ContactField, number>>;
  /** Custom attributes: key → column index. */
  attributes: Record<string, number>;
  /** What the file's headers were mapped to, for the import's answer. */
  mapping: Record<string, string>;
}

/** Maps a header row; the first column matching a field wins, a repeated header is ignored. */
export function planColumns(header: string[]): ColumnPlan {
  const plan: ColumnPlan = { fields: {}, attributes: {}, mapping: {} };
  header.forEach((raw, i) => {
    // Headers become jsonb keys (the mapping, attribute names): a NUL in one must not fail the upload.
    const h = storableText(raw.trim());
    if (!h) return;
    if (h.toLowerCase().startsWith(ATTRIBUTE_PREFIX)) {
      const key = h.slice(ATTRIBUTE_PREFIX.length).trim();
      if (key && !(key in plan.attributes)) {
        plan.attributes[key] = i;
        plan.mapping[h] = `attributes.${key}`;
      }
      return;
    }
    const n = normalizeHeader(h);
    const field = (Object.keys(aliases) as ContactField[]).find((f) => aliases[f].includes(n));
    if (field) {
      if (plan.fields[field] === undefined) {
        plan.fields[field] = i;
        plan.mapping[h] = field;
      }
      return;
    }
    if (ignored.has(n)) {
      plan.mapping[h] = "ignored";
      return;
    }
    // Any other column is a custom attribute named after it (`Plano` → `plano`).
    const key = n.replace(/[^a-z0-9_]/g, "");
    if (key && !(key in plan.attributes)) {
      plan.attributes[key] = i;
      plan.mapping[h] = `attributes.${key}`;
    }
  });
  return plan;
}

export const phoneHeaderNames = aliases.phone;
