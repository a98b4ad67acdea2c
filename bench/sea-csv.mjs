// The CSV the reading benchmarks use: SEA (seed 1) plus a noise column from a second SEA
// stream (seed 2), so 4 numeric features and a label; written in chunks, waiting on the disk.
import { createWriteStream } from 'node:fs';

export async function writeSeaCsv(path, n) {
  const { synthSource } = await import(new URL('../dist/index.js', import.meta.url).href);
  const sea = synthSource('sea', { seed: 1, rows: n });
  const noise = synthSource('sea', { seed: 2, rows: n }).rows()[Symbol.asyncIterator]();
  const classes = sea.schema.classes;
  const out = createWriteStream(path);
  const write = (text) => (out.write(text) ? null : new Promise((r) => out.once('drain', r)));
  await write(`${[...sea.schema.features, 'attrib4', sea.schema.label].join(',')}\n`);
  let lines = [];
  for await (const { x, y } of sea.rows()) {
    const z = (await noise.next()).value.x[0];
    lines.push(`${x[0].toFixed(4)},${x[1].toFixed(4)},${x[2].toFixed(4)},${z.toFixed(4)},${classes[y]}`);
    if (lines.length === 10_000) {
      await write(`${lines.join('\n')}\n`);
      lines = [];
    }
  }
  if (lines.length > 0) await write(`${lines.join('\n')}\n`);
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
}
