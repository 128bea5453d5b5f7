import { CSV_BOM, csvRow } from "../../core/csv.ts";
import { isoInZone, resolveTimeZone, type Transcript } from "./transcript.ts";

export const TRANSCRIPT_CSV_COLUMNS = [
  "time",
  "kind",
  "direction",
  "sender",
  "sender_type",
  "type",
  "text",
  "media_kind",
  "media_id",
  "media_url",
  "media_filename",
  "status",
] as const;

/**
 * The transcript as CSV: UTF-8 with a BOM, CRLF records, one row per message or note. Times are
 * ISO 8601 with the offset of the transcript's zone. A media message without text carries its
 * caption in `text`.
 */
export function transcriptCsv(t: Transcript): string {
  const zone = resolveTimeZone(t.timeZone);
  const rows: string[] = [CSV_BOM + csvRow([...TRANSCRIPT_CSV_COLUMNS])];
  for (const e of t.entries) {
    if (e.kind === "note") {
      rows.push(csvRow([isoInZone(e.at, zone), "note", "", e.author, "", "", e.text, "", "", "", "", ""]));
      continue;
    }
    const m = e.media;
    rows.push(csvRow([
      isoInZone(e.at, zone),
      "message",
      e.direction,
      e.sender,
      e.senderType,
      e.type,
      e.text ?? m?.caption ?? "",
      m?.kind ?? "",
      m?.id ?? "",
      m?.url ?? "",
      m?.filename ?? "",
      e.status,
    ]));
  }
  return rows.join("");
}
