import { fail, ok, type Result } from "../../core/result.ts";
import type { Services } from "../../services.ts";
import { toE164 } from "../../whatsapp/phone.ts";
import type { ErpHttp } from "../erp-http.ts";
import type { ErpContract } from "../model.ts";
import type { ErpClient, ErpCredentials, Operation } from "../port.ts";
import type { ErpSettings } from "../settings.ts";

/** What an adapter is built with: one tenant's connection, for one operation's lifetime. */
export interface AdapterContext {
  tenantId: string;
  connectionId: string;
  baseUrl: string;
  credentials: ErpCredentials;
  settings: ErpSettings;
  http: ErpHttp;
  services: Services;
}

/** An operation the adapter lists as unsupported: 501 with what to do instead, never a fake success. */
export const notSupported = <T>(client: ErpClient, op: Operation): Promise<Result<T>> =>
  Promise.resolve(fail("erp_unsupported", client.unsupported[op] ?? `${client.type} cannot do ${op}`));

/*
 * Reading what ERPs send. They disagree on everything: numbers come as strings ("89.90") or
 * Brazilian text ("1.234,56"), dates as ISO, "DD/MM/YYYY" or "YYYY-MM-DD hh:mm:ss" in São Paulo
 * time, nulls as "", "None" (SGP's Python leaking through) or "0000-00-00".
 */

export function str(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : null;
  if (typeof v !== "string") return null;
  const t = v.trim();
  return t === "" || t === "None" || t === "null" || t === "undefined" || /^0{4}-0{2}-0{2}/.test(t)
    ? null
    : t;
}

export const idOf = (v: unknown): string | null => {
  const s = str(v);
  return s === null || s === "0" ? null : s;
};

/** Amounts to integer cents: 89.9, "89.90", "1.234,56", "R$ 1.234,56". */
export function cents(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? Math.round(v * 100) : null;
  const s = str(v)?.replace(/R\$\s*/i, "").replace(/\s/g, "");
  if (!s) return null;
  const normalised = /,\d{1,2}$/.test(s) ? s.replace(/\./g, "").replace(",", ".") : s.replace(/,/g, "");
  const n = Number(normalised);
  return Number.isFinite(n) ? Math.round(n * 100) : null;
}

export function num(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  const s = str(v);
  if (!s) return null;
  const n = Number(s.replace(",", "."));
  return Number.isFinite(n) ? n : null;
}

/** "DD/MM/YYYY", "YYYY-MM-DD" or "YYYY-MM-DD hh:mm:ss" → "YYYY-MM-DD". */
export function isoDate(v: unknown): string | null {
  const s = str(v);
  if (!s) return null;
  const br = /^(\d{2})\/(\d{2})\/(\d{4})/.exec(s);
  if (br) return `${br[3]}-${br[2]}-${br[1]}`;
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  return iso ? `${iso[1]}-${iso[2]}-${iso[3]}` : null;
}

/**
 * A local São Paulo date-time ("2026-11-30 08:15:00", "30/11/2026 08:15:56") → ISO 8601 UTC.
 * Values that carry their own offset (HubSoft sometimes) are kept as they say.
 */
export function isoDateTime(v: unknown): string | null {
  const s = str(v);
  if (!s) return null;
  if (/[zZ]$|[+-]\d{2}:?\d{2}$/.test(s) && /T/.test(s)) {
    const t = Date.parse(s);
    return Number.isNaN(t) ? null : new Date(t).toISOString();
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?/.exec(s) ??
    (() => {
      const b = /^(\d{2})\/(\d{2})\/(\d{4})[ T](\d{2}):(\d{2})(?::(\d{2}))?/.exec(s);
      return b ? [b[0], b[3], b[2], b[1], b[4], b[5], b[6]] as unknown as RegExpExecArray : null;
    })();
  if (!m) return null;
  const t = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? "00"}-03:00`);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  aacute: "á",
  agrave: "à",
  acirc: "â",
  atilde: "ã",
  eacute: "é",
  ecirc: "ê",
  iacute: "í",
  oacute: "ó",
  ocirc: "ô",
  otilde: "õ",
  uacute: "ú",
  uuml: "ü",
  ccedil: "ç",
  Aacute: "Á",
  Agrave: "À",
  Acirc: "Â",
  Atilde: "Ã",
  Eacute: "É",
  Ecirc: "Ê",
  Iacute: "Í",
  Oacute: "Ó",
  Ocirc: "Ô",
  Otilde: "Õ",
  Uacute: "Ú",
  Ccedil: "Ç",
  ordm: "º",
  ordf: "ª",
};

/** MK sends accented text HTML-entity encoded (`JO&Atilde;O`). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === "#") {
      const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e] ?? m;
  });
}

/** The reverse, for MK's text parameters (its comment field is limited after encoding). */
export function encodeEntities(s: string): string {
  const reverse = new Map(Object.entries(ENTITIES).filter(([k]) => k !== "nbsp").map(([k, v]) => [v, k]));
  return [...s].map((
    ch,
  ) => (reverse.has(ch) ? `&${reverse.get(ch)};` : ch.charCodeAt(0) > 127 ? `&#${ch.codePointAt(0)};` : ch))
    .join("");
}

/** Phones as E.164 where they are valid Brazilian or international numbers; others dropped. */
export function phonesOf(values: unknown[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    const raw = typeof v === "object" && v !== null
      ? str((v as Record<string, unknown>).contato ?? (v as Record<string, unknown>).numero)
      : str(v);
    if (!raw) continue;
    const e164 = toE164(raw.replace(/[^\d+]/g, ""));
    if (e164 && !out.includes(e164)) out.push(e164);
  }
  return out;
}

export const asArray = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.filter((x) => x && typeof x === "object") as Record<string, unknown>[] : [];

export const asObject = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? v as Record<string, unknown> : {};

/** São Paulo's date today (YYYY-MM-DD): invoices are overdue by the provider's calendar. */
export const todayIn = (s: Pick<Services, "clock">): string =>
  new Date(s.clock.now().getTime() - 3 * 3_600_000).toISOString().slice(0, 10);

/**
 * The contract a contract-level call acts on: the one named (it must be the customer's), or the
 * only one that fits (`fits`: blocked ones for an unlock); several that fit and none named is a
 * 409 listing them, so the bot can ask the customer which.
 */
export function pickContract(
  customerId: string,
  contracts: ErpContract[],
  contractId: string | undefined,
  purpose: string,
  fits: (c: ErpContract) => boolean = (c) => c.status !== "cancelled",
  none?: () => Result<ErpContract>,
): Result<ErpContract> {
  if (contractId !== undefined) {
    const named = contracts.find((c) => c.id === contractId);
    return named
      ? ok(named)
      : fail("not_found", `Contract ${contractId} is not one of customer ${customerId}'s`);
  }
  const candidates = contracts.filter(fits);
  if (candidates.length === 1) return ok(candidates[0]);
  if (candidates.length === 0) {
    return none?.() ?? fail("not_found", `Customer ${customerId} has no contract to ${purpose}`);
  }
  return fail(
    "erp_contract_required",
    `Customer ${customerId} has ${candidates.length} contracts to ${purpose}; name one in contract_id`,
    {
      extensions: {
        contracts: candidates.map((c) => ({ id: c.id, plan: c.plan.name, status: c.status, login: c.login })),
      },
    },
  );
}

export const notBlocked = (customerId: string): Result<ErpContract> =>
  fail("erp_refused", `Customer ${customerId} has no blocked contract: there is nothing to unlock`, {
    extensions: { reason: "not_blocked" },
  });
