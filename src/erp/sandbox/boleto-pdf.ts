import { PDFDocument, rgb, StandardFonts } from "pdf-lib";
import { toWinAnsi } from "../../core/win-ansi.ts";
import { formatBankLine } from "../boleto.ts";

/**
 * The sandbox ISP's boleto as a one-page PDF: payer, amount, due date, the linha digitável, the
 * bar code drawn as Interleaved 2 of 5 (FEBRABAN's symbology: a bank's scanner reads it) and the
 * PIX copia e cola. What a customer receives on WhatsApp as the segunda via.
 */

export interface BoletoPdfInput {
  beneficiary: string;
  beneficiaryDocument: string;
  payer: string;
  payerDocument: string;
  description: string;
  dueDate: string;
  amountCents: number;
  linhaDigitavel: string;
  barcode: string;
  pix: string | null;
  invoiceId: string;
}

/** Narrow/wide patterns of each digit in Interleaved 2 of 5 (1 = wide). */
const I25 = ["00110", "10001", "01001", "11000", "00101", "10100", "01100", "00011", "10010", "01010"];

/** Bars and spaces of an even-length digit string: start, digit pairs interleaved, stop. */
export function interleaved2of5(digits: string): { bar: boolean; wide: boolean }[] {
  const out: { bar: boolean; wide: boolean }[] = [];
  for (const bar of [true, false, true, false]) out.push({ bar, wide: false });
  for (let i = 0; i < digits.length; i += 2) {
    const a = I25[Number(digits[i])];
    const b = I25[Number(digits[i + 1])];
    for (let k = 0; k < 5; k++) {
      out.push({ bar: true, wide: a[k] === "1" });
      out.push({ bar: false, wide: b[k] === "1" });
    }
  }
  out.push({ bar: true, wide: true }, { bar: false, wide: false }, { bar: true, wide: false });
  return out;
}

const brl = (cents: number) =>
  `R$ ${(cents / 100).toFixed(2).replace(".", ",").replace(/\B(?=(\d{3})+(?!\d))/g, ".")}`;
const brDate = (iso: string) => iso.split("-").reverse().join("/");

export async function renderBoletoPdf(b: BoletoPdfInput): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle(toWinAnsi(`Boleto ${b.invoiceId}`));
  pdf.setAuthor(toWinAnsi(b.beneficiary));
  const page = pdf.addPage([595.28, 841.89]);
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  const mono = await pdf.embedFont(StandardFonts.Courier);
  const grey = rgb(0.4, 0.4, 0.42);
  const x = 40;
  let y = 790;
  const text = (s: string, size = 10, f = font, color = rgb(0, 0, 0), at = x) => {
    page.drawText(toWinAnsi(s), { x: at, y, size, font: f, color });
  };

  text(b.beneficiary, 16, bold);
  y -= 16;
  text(`CNPJ ${b.beneficiaryDocument}`, 9, font, grey);
  y -= 34;
  text("Segunda via de boleto", 13, bold);
  y -= 24;
  const rows: [string, string][] = [
    ["Pagador", `${b.payer} (${b.payerDocument})`],
    ["Referente a", b.description],
    ["Vencimento", brDate(b.dueDate)],
    ["Valor", brl(b.amountCents)],
    ["Documento", b.invoiceId],
  ];
  for (const [label, value] of rows) {
    text(label, 9, font, grey);
    text(value, 11, bold, rgb(0, 0, 0), x + 110);
    y -= 20;
  }
  y -= 16;
  page.drawLine({ start: { x, y: y + 8 }, end: { x: 555, y: y + 8 }, thickness: 0.5, color: grey });
  y -= 14;
  text("Linha digitável", 9, font, grey);
  y -= 16;
  text(formatBankLine(b.linhaDigitavel), 12, mono);
  y -= 70;

  // The bar code: narrow bars 0.85 pt, wide ones three times that, 50 pt tall.
  const narrow = 0.85;
  let bx = x;
  for (const el of interleaved2of5(b.barcode)) {
    const w = el.wide ? narrow * 3 : narrow;
    if (el.bar) page.drawRectangle({ x: bx, y, width: w, height: 50, color: rgb(0, 0, 0) });
    bx += w;
  }
  y -= 40;
  if (b.pix) {
    text("PIX copia e cola", 9, font, grey);
    y -= 14;
    for (let i = 0; i < b.pix.length; i += 78) {
      text(b.pix.slice(i, i + 78), 8, mono);
      y -= 11;
    }
  }
  page.drawText(
    toWinAnsi("Documento gerado pelo ISP de demonstração do PyTake (sandbox): não tem valor de cobrança."),
    {
      x,
      y: 40,
      size: 8,
      font,
      color: grey,
    },
  );
  return await pdf.save();
}
