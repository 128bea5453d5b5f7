import { z } from "@hono/zod-openapi";
import { Timestamp } from "../../src/http/openapi-schemas.ts";
import { PageQuery } from "../../src/http/pagination.ts";

export const TAG = "Contacts";

export const ContactTag = z.string().trim().min(1).max(50).regex(/^[^,;|]+$/, "A tag cannot contain , ; or |")
  .openapi({ example: "vip" });
export const ContactTags = z.array(ContactTag).max(100);

const AttributeValue = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);
export const Attributes = z.record(z.string().trim().min(1).max(64), AttributeValue)
  .refine((a) => Object.keys(a).length <= 100, "At most 100 attributes")
  .openapi({ example: { plano: "500 Mega", cidade: "Campinas" } });

export const ContactSchema = z.object({
  id: z.uuid(),
  phone: z.string().openapi({ example: "+5511999999999", description: "E.164." }),
  wa_id: z.string().nullable().openapi({ description: "The WhatsApp id (digits), as WhatsApp reports it." }),
  name: z.string().nullable().openapi({ example: "João Silva" }),
  profile_name: z.string().nullable().openapi({
    description: "The name on the customer's WhatsApp profile.",
  }),
  email: z.string().nullable().openapi({ example: "joao@example.com" }),
  tags: z.array(z.string()).openapi({ example: ["cliente", "vip"] }),
  attributes: z.record(z.string(), z.unknown()),
  opt_in: z.boolean().nullable().openapi({ description: "Consent to receive messages; null: never asked." }),
  opt_in_at: Timestamp.nullable(),
  opt_out_at: Timestamp.nullable(),
  blocked: z.boolean(),
  last_seen_at: Timestamp.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
}).openapi("Contact");

export const ContactBody = z.object({
  phone: z.string().trim().min(8).max(32).openapi({
    example: "+5511999999999",
    description: "Any common formatting; Brazilian numbers may omit +55. Stored as E.164.",
  }),
  name: z.string().trim().max(200).nullable().optional().openapi({ example: "João Silva" }),
  email: z.email().max(254).nullable().optional().openapi({ example: "joao@example.com" }),
  tags: ContactTags.optional(),
  attributes: Attributes.optional(),
  opt_in: z.boolean().nullable().optional(),
  blocked: z.boolean().optional(),
}).strict();

const csv = (v: string) => v.split(",").map((x) => x.trim()).filter(Boolean);

/** The filters of list, search and export. */
export const ContactFilterQuery = z.object({
  tags: z.string().max(500).optional().transform((v) => (v ? csv(v) : undefined)).openapi({
    description: "Comma-separated tags.",
    example: "vip,cliente",
  }),
  tags_match: z.enum(["any", "all"]).default("any").openapi({
    description: "`any`: contacts with at least one of the tags; `all`: with every one.",
  }),
  opt_in: z.enum(["true", "false"]).optional().transform((v) => (v === undefined ? undefined : v === "true"))
    .openapi({ description: "`true`: consented; `false`: opted out. Contacts never asked match neither." }),
  blocked: z.enum(["true", "false"]).optional().transform((
    v,
  ) => (v === undefined ? undefined : v === "true")),
  updated_since: z.iso.datetime({ offset: true }).optional(),
});

export const ListContactsQuery = PageQuery.extend(ContactFilterQuery.shape);

export const SearchContactsQuery = ListContactsQuery.extend({
  q: z.string().trim().min(2).max(100).openapi({
    description:
      "Words found in the name, email or phone, every one, in any order, case- and accent-insensitive (`silva joao` finds João da Silva); a phone number in any formatting is matched by its digits.",
    example: "joão",
  }),
});
