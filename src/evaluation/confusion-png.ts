/** The confusion matrix as a PNG (sharp renders an SVG): darker cells hold more of their row's images. */
import sharp from '../image/sharp-instance.js';
import type { EvalReport } from './evaluate.js';

const CELL = 48;
const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export async function confusionPng(r: EvalReport): Promise<Buffer> {
  const cols = [...r.classes, 'other'];
  const left = 12 + 8 * Math.max(...r.classes.map((c) => c.length), 4);
  const top = 24 + 8 * Math.max(...cols.map((c) => c.length), 4);
  const width = left + cols.length * CELL + 8;
  const height = top + r.classes.length * CELL + 8;
  const cells: string[] = [];
  r.confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((n, j) => {
      const shade = Math.round(255 - (215 * n) / total);
      const x = left + j * CELL;
      const y = top + i * CELL;
      const ink = shade < 128 ? '#fff' : '#000';
      cells.push(`<rect x="${x}" y="${y}" width="${CELL}" height="${CELL}" fill="rgb(${shade},${shade},255)" stroke="#888"/>`);
      cells.push(`<text x="${x + CELL / 2}" y="${y + CELL / 2 + 5}" text-anchor="middle" font-family="sans-serif" font-size="14" fill="${ink}">${n}</text>`);
    });
    cells.push(`<text x="${left - 6}" y="${top + i * CELL + CELL / 2 + 5}" text-anchor="end" font-family="sans-serif" font-size="13">${escape(r.classes[i]!)}</text>`);
  });
  cols.forEach((c, j) => {
    const x = left + j * CELL + CELL / 2;
    cells.push(`<text transform="translate(${x},${top - 6}) rotate(-60)" font-family="sans-serif" font-size="13">${escape(c)}</text>`);
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${cells.join('')}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}
