import { formatCnpj, formatCpf, isValidCnpj, isValidCpf } from "../core/br-documents.ts";
import { toE164 } from "../whatsapp/phone.ts";
import type { Entity, EntityType } from "./offline/entities.ts";

/**
 * What a model says it found, checked like our own findings: CPF and CNPJ by their check
 * digits, phones to E.164 (dropped when not a number), e-mails and dates by their shape, money
 * as a decimal. A redaction placeholder (`[CPF_1]`) passes as it is; `ai-service.ts` checks the
 * entity again once the value is put back.
 */

const PLACEHOLDER = /^\[(CPF|CNPJ|CARTAO|EMAIL|TELEFONE)_\d+\]$/;
const digitsOf = (s: string) => s.replace(/\D/g, "");

export function checkEntity(
  e: { type: EntityType; value: string; text: string },
  text: string,
): Entity | null {
  const found = text.indexOf(e.text);
  const start = Math.max(0, found);
  const at = { text: e.text, start, end: start + e.text.length };
  if (PLACEHOLDER.test(e.value) || PLACEHOLDER.test(e.text)) {
    return { type: e.type, value: e.value, valid: true, ...at };
  }
  switch (e.type) {
    case "cpf": {
      const raw = digitsOf(e.value).length === 11 ? e.value : e.text;
      if (digitsOf(raw).length !== 11) return null;
      return { type: "cpf", value: formatCpf(raw), valid: isValidCpf(raw), ...at };
    }
    case "cnpj": {
      const raw = digitsOf(e.value).length === 14 ? e.value : e.text;
      if (digitsOf(raw).length !== 14) return null;
      return { type: "cnpj", value: formatCnpj(raw), valid: isValidCnpj(raw), ...at };
    }
    case "phone": {
      const e164 = toE164(e.value) ?? toE164(e.text);
      return e164 ? { type: "phone", value: e164, valid: true, ...at } : null;
    }
    case "email":
      return /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i.test(e.value)
        ? { type: "email", value: e.value.toLowerCase(), valid: true, ...at }
        : null;
    case "date":
      return /^\d{4}-\d{2}-\d{2}$/.test(e.value) && !isNaN(Date.parse(e.value))
        ? { type: "date", value: e.value, valid: true, ...at }
        : null;
    case "money": {
      const n = Number(e.value.replace(/[^\d.,-]/g, "").replace(/\.(?=\d{3}(\D|$))/g, "").replace(",", "."));
      return Number.isFinite(n) && e.value.trim() !== ""
        ? { type: "money", value: n.toFixed(2), valid: true, ...at }
        : null;
    }
    case "cep": {
      const d = digitsOf(e.value);
      return d.length === 8
        ? { type: "cep", value: `${d.slice(0, 5)}-${d.slice(5)}`, valid: true, ...at }
        : null;
    }
    case "protocol":
      return e.value.trim() ? { type: "protocol", value: e.value.trim(), valid: true, ...at } : null;
  }
}
