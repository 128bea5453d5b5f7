/**
 * PIX "copia e cola": the EMV QR Code payload of the Banco Central's BR Code manual. Fields are
 * TLV (two-digit id, two-digit length, value); the last one (63) is a CRC16-CCITT (poly 0x1021,
 * start 0xFFFF) over everything before its value, "6304" included. We check what ERPs send and
 * build static codes (key, amount, txid) for the sandbox ISP.
 */

export function crc16(payload: string): string {
  let crc = 0xffff;
  const bytes = new TextEncoder().encode(payload);
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, "0");
}

const field = (id: string, value: string) => `${id}${String(value.length).padStart(2, "0")}${value}`;

/** Names and cities in BR Codes are plain ASCII, upper case by custom, cut to the field's limit. */
function plain(text: string, max: number): string {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^A-Za-z0-9 .-]/g, "").trim()
    .toUpperCase().slice(0, max);
}

export interface StaticPix {
  /** The receiver's PIX key: CNPJ digits, e-mail, +55 phone or a random (EVP) key. */
  key: string;
  merchantName: string;
  merchantCity: string;
  amountCents?: number;
  /** Up to 25 letters and digits; "***" when none. */
  txid?: string;
  description?: string;
}

export function buildStaticPix(p: StaticPix): string {
  const account = field("00", "br.gov.bcb.pix") + field("01", p.key) +
    (p.description ? field("02", plain(p.description, 40)) : "");
  const body = field("00", "01") +
    field("26", account) +
    field("52", "0000") +
    field("53", "986") +
    (p.amountCents !== undefined ? field("54", (p.amountCents / 100).toFixed(2)) : "") +
    field("58", "BR") +
    field("59", plain(p.merchantName, 25)) +
    field("60", plain(p.merchantCity, 15)) +
    field("62", field("05", (p.txid ?? "***").replace(/[^A-Za-z0-9*]/g, "").slice(0, 25))) +
    "6304";
  return body + crc16(body);
}

export type PixCheck =
  | { ok: true; fields: Map<string, string>; amountCents: number | null }
  | { ok: false; reason: string };

/** Parses a copia-e-cola and checks its structure and CRC. */
export function checkPix(payload: string): PixCheck {
  const text = payload.trim();
  if (!text.startsWith("000201")) {
    return { ok: false, reason: "does not start with the payload format (000201)" };
  }
  const fields = new Map<string, string>();
  let i = 0;
  while (i < text.length) {
    const id = text.slice(i, i + 2);
    const len = Number(text.slice(i + 2, i + 4));
    if (!/^\d{2}$/.test(id) || !Number.isInteger(len) || i + 4 + len > text.length) {
      return { ok: false, reason: `malformed field at ${i}` };
    }
    fields.set(id, text.slice(i + 4, i + 4 + len));
    i += 4 + len;
  }
  const crc = fields.get("63");
  if (!crc || !text.endsWith(`6304${crc}`)) return { ok: false, reason: "no CRC at the end" };
  if (crc16(text.slice(0, -4)).toUpperCase() !== crc.toUpperCase()) {
    return { ok: false, reason: "CRC mismatch" };
  }
  const amount = fields.get("54");
  return { ok: true, fields, amountCents: amount ? Math.round(Number(amount) * 100) : null };
}
