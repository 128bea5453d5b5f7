/**
 * WinAnsi (cp1252): what the standard PDF fonts (Helvetica, Times, Courier) can show without
 * embedding a font file, and a sanitizer that reduces any text to it.
 */

/** The characters cp1252 puts in 0x80–0x9F, where Latin-1 has control codes. */
const CP1252_EXTRAS = new Set([
  0x20ac,
  0x201a,
  0x0192,
  0x201e,
  0x2026,
  0x2020,
  0x2021,
  0x02c6,
  0x2030,
  0x0160,
  0x2039,
  0x0152,
  0x017d,
  0x2018,
  0x2019,
  0x201c,
  0x201d,
  0x2022,
  0x2013,
  0x2014,
  0x02dc,
  0x2122,
  0x0161,
  0x203a,
  0x0153,
  0x017e,
  0x0178,
]);

/** True for a code point the standard fonts can draw with WinAnsi encoding. */
export function isWinAnsi(cp: number): boolean {
  return (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff && cp !== 0xad) || CP1252_EXTRAS.has(cp);
}

/** Common characters outside WinAnsi with a close look-alike inside it. */
const LOOKALIKES = new Map<number, string>([
  [0x2010, "-"], // hyphen
  [0x2011, "-"], // non-breaking hyphen
  [0x2012, "–"], // figure dash
  [0x2015, "—"], // horizontal bar
  [0x2043, "-"], // hyphen bullet
  [0x2212, "-"], // minus sign
  [0x201b, "'"],
  [0x201f, '"'],
  [0x2032, "'"], // prime
  [0x2033, '"'], // double prime
  [0x2027, "·"],
  [0x2219, "·"],
  [0x22c5, "·"],
  [0x2044, "/"],
  [0x2215, "/"],
  [0x2713, "v"], // check mark
  [0x2714, "v"],
]);

/** Zero-width and formatting characters, variation selectors, emoji tag characters: dropped. */
const INVISIBLE =
  /[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufe00-\ufe0f\ufeff]|\udb40[\udc00-\udc7f]/g;
// deno-lint-ignore no-control-regex -- vertical tab and form feed are line breaks here
const NEWLINES = /\r\n|[\r\u000b\u000c\u0085\u2028\u2029]/g;
// deno-lint-ignore no-control-regex -- stripping control characters is the point
const CONTROLS = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f]/g;
const MARKS = /\p{M}/gu;

let graphemes: Intl.Segmenter | null | undefined;

function allWinAnsi(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x0a && !isWinAnsi(c)) return false;
  }
  return true;
}

function graphemeToWinAnsi(g: string, replacement: string): string {
  if (allWinAnsi(g)) return g;
  const visible = g.replace(INVISIBLE, "");
  if (allWinAnsi(visible)) return visible; // "" for a lone zero-width char, "©" for "©️"
  const cp = visible.codePointAt(0)!;
  const lookalike = visible.length === String.fromCodePoint(cp).length ? LOOKALIKES.get(cp) : undefined;
  if (lookalike) return lookalike;
  const compat = visible.normalize("NFKC"); // ﬁ → fi, full-width letters, typographic spaces
  if (compat && allWinAnsi(compat)) return compat;
  const base = visible.normalize("NFD").replace(MARKS, "").normalize("NFC"); // ő → o, 1️⃣ → 1
  if (base && allWinAnsi(base)) return base;
  return replacement;
}

/**
 * `text` made drawable with a standard PDF font: every WinAnsi character (Latin-1 and the cp1252
 * extras “ ” ‘ ’ – — € … •) is kept; newlines become "\n", tabs four spaces, control and
 * zero-width characters go, and anything else (emoji, CJK, Cyrillic, …) becomes `replacement`,
 * once per user-perceived character (a family emoji is one "?"), unless it has a plain
 * equivalent (ő → o, ﬁ → fi, − → -).
 */
export function toWinAnsi(text: string, replacement = "?"): string {
  let s = text.replace(NEWLINES, "\n").replaceAll("\t", "    ").replace(CONTROLS, "");
  if (allWinAnsi(s)) return s;
  s = s.normalize("NFC");
  if (allWinAnsi(s)) return s;
  if (graphemes === undefined) {
    graphemes = typeof Intl.Segmenter === "function"
      ? new Intl.Segmenter("en", { granularity: "grapheme" })
      : null;
  }
  let out = "";
  if (graphemes) {
    for (const { segment } of graphemes.segment(s)) out += graphemeToWinAnsi(segment, replacement);
  } else {
    for (const ch of s) out += graphemeToWinAnsi(ch, replacement);
  }
  return out;
}
