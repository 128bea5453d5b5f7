/**
 * How the offline heuristics read a WhatsApp message: lower case, no accents, letters repeated
 * for emphasis squeezed ("lentaaa" → "lenta"), the abbreviations Brazilians type spelled out
 * ("vc", "hj", "pq", "n", "net"), and words one typo away from a word the classifiers know
 * corrected to it ("cancelr" → "cancelar"). Both the intent and the sentiment classifier see
 * the same tokens.
 */

/** Accents off, lower case: "Conexão" → "conexao". */
export function fold(text: string): string {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

/** Texting shorthand → the word (after folding). Only unambiguous ones. */
const SHORTHAND: Record<string, string> = {
  vc: "voce",
  vcs: "voces",
  voceis: "voces",
  q: "que",
  oq: "o que",
  pq: "porque",
  qro: "quero",
  qr: "quero",
  kero: "quero",
  qria: "queria",
  keria: "queria",
  pra: "para",
  pro: "para o",
  n: "nao",
  ñ: "nao",
  nn: "nao",
  naum: "nao",
  nd: "nada",
  hj: "hoje",
  tb: "tambem",
  tbm: "tambem",
  td: "tudo",
  mto: "muito",
  mt: "muito",
  mta: "muita",
  msm: "mesmo",
  aki: "aqui",
  aq: "aqui",
  kd: "cade",
  pf: "por favor",
  pfv: "por favor",
  pfvr: "por favor",
  pls: "por favor",
  obg: "obrigado",
  obgd: "obrigado",
  obgda: "obrigada",
  vlw: "valeu",
  blz: "beleza",
  cmg: "comigo",
  dps: "depois",
  hrs: "horas",
  hr: "hora",
  h: "horas",
  tava: "estava",
  to: "estou",
  ta: "esta",
  tah: "esta",
  tao: "tao",
  net: "internet",
  wifi: "wifi",
  mb: "mega",
  mbps: "mega",
  mega: "mega",
  megas: "mega",
  gb: "giga",
  gbps: "giga",
  "d+": "demais",
  dmais: "demais",
  oi: "oi",
  ola: "oi",
  oie: "oi",
  oii: "oi",
  eh: "e",
  fds: "fim de semana",
  whats: "whatsapp",
  zap: "whatsapp",
  zapzap: "whatsapp",
};

/** Multi-word spellings made one token before splitting, so rules can name them. */
const JOINS: [RegExp, string][] = [
  [/\bwi[\s-]?fi\b/g, "wifi"],
  [/\b(2|segunda)\s*(a|ª|º|o)?\s*-?\s*via\b/g, " segundavia "],
  [/\bd\+/g, " demais "],
  [/\bpix\b/g, " pix "],
  [/\b(\d+)\s*(mb|mbps|mega|megas|m)\b/g, " $1 mega "],
  [/\b(\d+)\s*(gb|gbps|giga|gigas|g)\b/g, " $1 giga "],
  [/\bfora do ar\b/g, " foradoar "],
  [/\bcodigo de barras\b/g, " codigodebarras "],
  [/\blinha digitavel\b/g, " codigodebarras "],
  [/\bem confianca\b/g, " confianca "],
  [/\bde confianca\b/g, " confianca "],
];

/** Letters typed three or more times are emphasis; two stay ("carro", "cooperativa"). */
const squeeze = (w: string) => w.replace(/([a-z])\1{2,}/g, "$1");

/** Damerau–Levenshtein distance, stopping early once it passes `max`. */
export function editDistance(a: string, b: string, max = 2): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    let best = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, rows[i - 2][j - 2] + 1);
      }
      rows[i][j] = v;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
  }
  return rows[a.length][b.length];
}

/**
 * Corrects typos against a vocabulary: a word of six letters or more that is not known and is
 * one edit from exactly one known word (two edits for words of eleven or more) becomes that word.
 * Short words are left alone: at five letters too many words are one edit from another.
 */
export class Speller {
  #known: Set<string>;
  #byLength = new Map<number, string[]>();
  #cache = new Map<string, string>();

  constructor(vocabulary: Iterable<string>) {
    this.#known = new Set(vocabulary);
    for (const w of this.#known) {
      if (w.length < 5) continue;
      const list = this.#byLength.get(w.length) ?? [];
      list.push(w);
      this.#byLength.set(w.length, list);
    }
  }

  correct(word: string): string {
    if (word.length < 6 || this.#known.has(word) || /\d/.test(word)) return word;
    const hit = this.#cache.get(word);
    if (hit !== undefined) return hit;
    const max = word.length >= 11 ? 2 : 1;
    let best: string | undefined;
    let bestDistance = max + 1;
    let tie = false;
    for (let len = word.length - max; len <= word.length + max; len++) {
      for (const candidate of this.#byLength.get(len) ?? []) {
        const d = editDistance(word, candidate, max);
        if (d < bestDistance) {
          best = candidate;
          bestDistance = d;
          tie = false;
        } else if (d === bestDistance && candidate !== best) tie = true;
      }
    }
    const out = best && !tie ? best : word;
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(word, out);
    return out;
  }
}

/** The tokens of a message, spelled out and corrected: what the classifiers match against. */
export function tokenize(text: string, speller?: Speller): string[] {
  let t = fold(text);
  for (const [re, to] of JOINS) t = t.replace(re, to);
  const out: string[] = [];
  for (const raw of t.split(/[^a-z0-9+]+/)) {
    if (!raw) continue;
    const w = squeeze(raw);
    const expanded = SHORTHAND[w] ?? w;
    for (const part of expanded.split(" ")) out.push(speller ? speller.correct(part) : part);
  }
  return out;
}
