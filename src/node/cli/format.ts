import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Right-aligns numbers and left-aligns text into fixed-width columns. */
export function formatRow(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells
    .map((cell, i) => (typeof cell === 'number' ? String(cell).padStart(widths[i]) : cell.padEnd(widths[i])))
    .join('  ')
    .trimEnd();
}

/** Writes, waiting for the stream to drain when its buffer is full, so a slow reader slows us down. */
export async function writeOut(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
