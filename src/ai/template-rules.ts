import { z } from "@hono/zod-openapi";
import type { FieldError } from "../http/problem.ts";

/**
 * WhatsApp message templates as Meta's template-creation API takes them (`POST
 * /<WABA_ID>/message_templates`), and the rules Meta reviews them by, checked before a draft is
 * returned: a snake_case name; category MARKETING, UTILITY or AUTHENTICATION; a body of at most
 * 1,024 characters whose variables are `{{1}}`, `{{2}}`, … in order, never at the very start or
 * end, never two side by side, each with an example; a text header of at most 60 characters
 * with at most one variable; a footer of at most 60 characters without variables; at most ten
 * buttons (quick replies of at most 25 characters kept together, at most two URL buttons, one
 * phone button, one copy-code button); authentication templates in Meta's fixed shape (security
 * recommendation, code expiry, an OTP button).
 */

export const templateCategories = ["MARKETING", "UTILITY", "AUTHENTICATION"] as const;
export type TemplateCategory = typeof templateCategories[number];

const Example = z.object({
  header_text: z.array(z.string()).optional(),
  body_text: z.array(z.array(z.string())).optional(),
});

export const TemplateButtonSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("QUICK_REPLY"), text: z.string() }),
  z.object({
    type: z.literal("URL"),
    text: z.string(),
    url: z.string(),
    example: z.array(z.string()).optional(),
  }),
  z.object({ type: z.literal("PHONE_NUMBER"), text: z.string(), phone_number: z.string() }),
  z.object({ type: z.literal("COPY_CODE"), example: z.string() }),
  z.object({ type: z.literal("OTP"), otp_type: z.literal("COPY_CODE"), text: z.string().optional() }),
]).openapi("TemplateButton");

export const TemplateComponentSchema = z.union([
  z.object({
    type: z.literal("HEADER"),
    format: z.literal("TEXT"),
    text: z.string(),
    example: Example.optional(),
  }),
  z.object({
    type: z.literal("BODY"),
    text: z.string().optional(),
    example: Example.optional(),
    add_security_recommendation: z.boolean().optional(),
  }),
  z.object({
    type: z.literal("FOOTER"),
    text: z.string().optional(),
    code_expiration_minutes: z.number().int().optional(),
  }),
  z.object({ type: z.literal("BUTTONS"), buttons: z.array(TemplateButtonSchema) }),
]).openapi("TemplateComponent");

export const TemplateDraftSchema = z.object({
  name: z.string().openapi({ example: "boas_vindas_cliente" }),
  language: z.string().openapi({ example: "pt_BR" }),
  category: z.enum(templateCategories),
  components: z.array(TemplateComponentSchema),
}).openapi("TemplateDraft");

export type TemplateDraft = z.infer<typeof TemplateDraftSchema>;
export type TemplateComponent = TemplateDraft["components"][number];

export interface TemplateRequest {
  purpose: string;
  tone: "formal" | "friendly" | "informal" | "neutral";
  category?: TemplateCategory;
  /** `pt_BR`, `en_US`, `es`: Meta's locale codes. */
  language: string;
  name?: string;
  /** What the template should say, in the tenant's words. */
  description?: string;
  /** Buttons wanted (texts of quick replies). */
  quick_replies?: string[];
}

export const TEMPLATE_LIMITS = {
  name: 512,
  body: 1024,
  header: 60,
  footer: 60,
  buttons: 10,
  quickReplyText: 25,
  buttonText: 25,
  urlButtons: 2,
  phoneButtons: 1,
  copyCodeButtons: 1,
  url: 2000,
  copyCodeExample: 15,
} as const;

const VARIABLE = /\{\{\s*([^}]*?)\s*\}\}/g;

/** The variable numbers of a text, in order of appearance. */
export function templateVariables(text: string): string[] {
  return [...text.matchAll(VARIABLE)].map((m) => m[1]);
}

/** The body with each `{{n}}` replaced by its example: what the customer would read. */
export function templatePreview(draft: TemplateDraft): string {
  const body = draft.components.find((c) => c.type === "BODY") as
    | { text?: string; example?: { body_text?: string[][] } }
    | undefined;
  const examples = body?.example?.body_text?.[0] ?? [];
  return (body?.text ?? "").replace(VARIABLE, (m, n) => examples[Number(n) - 1] ?? m);
}

function checkVariables(
  text: string,
  path: string,
  examples: string[] | undefined,
  errors: FieldError[],
  opts: { max?: number } = {},
) {
  const vars = templateVariables(text);
  if (opts.max !== undefined && vars.length > opts.max) {
    errors.push({ path, message: `At most ${opts.max} variable here` });
  }
  vars.forEach((v, i) => {
    if (v !== String(i + 1)) {
      errors.push({
        path,
        message: `Variables are numbered {{1}}, {{2}}, … in order; found {{${v}}} as number ${i + 1}`,
      });
    }
  });
  if (vars.length === 0) return;
  const trimmed = text.trim();
  if (/^\{\{[^}]+\}\}/.test(trimmed) || /\{\{[^}]+\}\}[.!?]?$/.test(trimmed)) {
    errors.push({ path, message: "A variable may not open or close the text" });
  }
  if (/\}\}\s*\{\{/.test(text)) errors.push({ path, message: "Two variables may not stand side by side" });
  if (!examples || examples.length !== vars.length || examples.some((e) => !e.trim())) {
    errors.push({
      path: `${path}.example`,
      message: `Give one example value for each of the ${vars.length} variables`,
    });
  }
}

/** Every rule a draft breaks; empty when Meta would accept its shape. */
export function validateTemplate(draft: TemplateDraft): FieldError[] {
  const errors: FieldError[] = [];
  if (!/^[a-z0-9_]+$/.test(draft.name) || draft.name.length > TEMPLATE_LIMITS.name) {
    errors.push({ path: "name", message: "Lower-case letters, digits and underscores, at most 512" });
  }
  if (!/^[a-z]{2,3}(_[A-Z]{2})?$/.test(draft.language)) {
    errors.push({ path: "language", message: "A Meta locale code such as pt_BR, en_US or es" });
  }
  const count = (type: string) => draft.components.filter((c) => c.type === type).length;
  for (const type of ["HEADER", "BODY", "FOOTER", "BUTTONS"]) {
    if (count(type) > 1) errors.push({ path: "components", message: `At most one ${type}` });
  }
  if (count("BODY") !== 1) errors.push({ path: "components", message: "A template needs a BODY" });

  if (draft.category === "AUTHENTICATION") {
    draft.components.forEach((c, i) => {
      const path = `components.${i}`;
      if (c.type === "HEADER") errors.push({ path, message: "Authentication templates have no header" });
      if (c.type === "BODY" && (c.text || c.add_security_recommendation === undefined)) {
        errors.push({
          path,
          message: "Authentication bodies are Meta's fixed text: set add_security_recommendation only",
        });
      }
      if (c.type === "FOOTER" && (c.text || !c.code_expiration_minutes || c.code_expiration_minutes > 90)) {
        errors.push({ path, message: "Authentication footers carry code_expiration_minutes (1–90) only" });
      }
      if (c.type === "BUTTONS" && (c.buttons.length !== 1 || c.buttons[0].type !== "OTP")) {
        errors.push({ path, message: "Authentication templates have exactly one OTP button" });
      }
    });
    if (count("BUTTONS") !== 1) {
      errors.push({ path: "components", message: "Authentication templates need an OTP button" });
    }
    return errors;
  }

  draft.components.forEach((c, i) => {
    const path = `components.${i}`;
    switch (c.type) {
      case "HEADER":
        if (!c.text.trim() || c.text.length > TEMPLATE_LIMITS.header) {
          errors.push({
            path: `${path}.text`,
            message: `A text header has 1–${TEMPLATE_LIMITS.header} characters`,
          });
        }
        if (templateVariables(c.text).length) {
          const vars = templateVariables(c.text);
          if (vars.length > 1) {
            errors.push({ path: `${path}.text`, message: "At most 1 variable in a header" });
          } else if (vars[0] !== "1") {
            errors.push({ path: `${path}.text`, message: "The header variable is {{1}}" });
          }
          if (c.example?.header_text?.length !== 1) {
            errors.push({ path: `${path}.example`, message: "Give an example for the header variable" });
          }
        }
        break;
      case "BODY": {
        const text = c.text ?? "";
        if (!text.trim()) errors.push({ path: `${path}.text`, message: "The body has text" });
        if (text.length > TEMPLATE_LIMITS.body) {
          errors.push({ path: `${path}.text`, message: `At most ${TEMPLATE_LIMITS.body} characters` });
        }
        checkVariables(text, `${path}.text`, c.example?.body_text?.[0], errors);
        if (c.add_security_recommendation) {
          errors.push({ path, message: "add_security_recommendation belongs to authentication templates" });
        }
        break;
      }
      case "FOOTER":
        if (!c.text?.trim() || c.text.length > TEMPLATE_LIMITS.footer) {
          errors.push({
            path: `${path}.text`,
            message: `A footer has 1–${TEMPLATE_LIMITS.footer} characters`,
          });
        } else if (templateVariables(c.text).length) {
          errors.push({ path: `${path}.text`, message: "A footer has no variables" });
        }
        break;
      case "BUTTONS": {
        const b = c.buttons;
        if (b.length === 0 || b.length > TEMPLATE_LIMITS.buttons) {
          errors.push({ path: `${path}.buttons`, message: `1–${TEMPLATE_LIMITS.buttons} buttons` });
        }
        const of = (t: string) => b.filter((x) => x.type === t).length;
        if (of("URL") > TEMPLATE_LIMITS.urlButtons) {
          errors.push({ path: `${path}.buttons`, message: "At most 2 URL buttons" });
        }
        if (of("PHONE_NUMBER") > TEMPLATE_LIMITS.phoneButtons) {
          errors.push({ path: `${path}.buttons`, message: "At most 1 phone button" });
        }
        if (of("COPY_CODE") > TEMPLATE_LIMITS.copyCodeButtons) {
          errors.push({ path: `${path}.buttons`, message: "At most 1 copy-code button" });
        }
        if (of("OTP")) {
          errors.push({ path: `${path}.buttons`, message: "OTP buttons belong to authentication templates" });
        }
        // Meta wants quick replies together, before or after the call-to-action buttons.
        const kinds = b.map((x) => (x.type === "QUICK_REPLY" ? "q" : "c")).join("").replace(/(.)\1+/g, "$1");
        if (kinds.length > 2) {
          errors.push({ path: `${path}.buttons`, message: "Keep quick replies together" });
        }
        const texts = new Set<string>();
        b.forEach((x, j) => {
          const bp = `${path}.buttons.${j}`;
          if ("text" in x && x.type !== "OTP") {
            const max = x.type === "QUICK_REPLY"
              ? TEMPLATE_LIMITS.quickReplyText
              : TEMPLATE_LIMITS.buttonText;
            if (!x.text.trim() || x.text.length > max) {
              errors.push({ path: `${bp}.text`, message: `1–${max} characters` });
            }
            if (texts.has(x.text)) errors.push({ path: `${bp}.text`, message: "Button texts are unique" });
            texts.add(x.text);
          }
          if (x.type === "URL") {
            let ok = false;
            try {
              ok = new URL(x.url.replace(/\{\{1\}\}$/, "x")).protocol === "https:";
            } catch { /* not a URL */ }
            if (!ok || x.url.length > TEMPLATE_LIMITS.url) {
              errors.push({ path: `${bp}.url`, message: "An https URL of at most 2,000 characters" });
            }
            const vars = templateVariables(x.url);
            if (vars.length > 1 || (vars.length === 1 && !x.url.endsWith("{{1}}"))) {
              errors.push({
                path: `${bp}.url`,
                message: "At most one variable, {{1}}, at the end of the URL",
              });
            }
            if (vars.length === 1 && x.example?.length !== 1) {
              errors.push({ path: `${bp}.example`, message: "Give an example URL for its variable" });
            }
          }
          if (x.type === "PHONE_NUMBER" && !/^\+\d{8,15}$/.test(x.phone_number)) {
            errors.push({ path: `${bp}.phone_number`, message: "E.164, e.g. +5511987654321" });
          }
          if (x.type === "COPY_CODE" && (!x.example || x.example.length > TEMPLATE_LIMITS.copyCodeExample)) {
            errors.push({ path: `${bp}.example`, message: "An example code of at most 15 characters" });
          }
        });
        break;
      }
    }
  });
  return errors;
}

/** A template name from a purpose: `welcome message!` → `welcome_message`. */
export function templateName(purpose: string): string {
  return purpose.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "").slice(0, 60) || "template";
}
