import { type Color, type PDFFont, type PDFPage, rgb } from "pdf-lib";

const GREY = rgb(0.42, 0.42, 0.45);
const RULE = rgb(0.8, 0.8, 0.82);

/**
 * The footer of every page of our PDFs, drawn once the page count is known: a rule, who made
 * the document on the left, "page i of n" on the right. Text must already be WinAnsi-safe.
 */
export function drawFooters(
  pages: PDFPage[],
  opts: {
    left: string;
    pageLabel: (page: number, of: number) => string;
    font: PDFFont;
    width: (text: string, size: number) => number;
    marginX: number;
    color?: Color;
  },
): void {
  const color = opts.color ?? GREY;
  pages.forEach((page, i) => {
    const right = page.getWidth() - opts.marginX;
    page.drawLine({
      start: { x: opts.marginX, y: 40 },
      end: { x: right, y: 40 },
      thickness: 0.5,
      color: RULE,
    });
    page.drawText(opts.left, { x: opts.marginX, y: 28, size: 8, font: opts.font, color });
    const num = opts.pageLabel(i + 1, pages.length);
    page.drawText(num, { x: right - opts.width(num, 8), y: 28, size: 8, font: opts.font, color });
  });
}
