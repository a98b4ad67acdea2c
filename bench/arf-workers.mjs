// Does spreading Adaptive Random Forest's members over worker threads pay?
// Same stream, same seed, 1 and 2 workers, chunks of rows learned test-then-train;
// prints rows per second, the speed-up, and checks that the probabilities are identical.
//   npm run build && node bench/arf-workers.mjs [--rows N] [--chunk N] [--stream SPEC]
import '../dist/node/index.js';
import { AdaptiveRandomForest, synthSource } from '../dist/index.js';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const rows = Number(flag('rows', '100000'));
const chunk = Number(flag('chunk', '1000'));
const spec = flag('stream', 'sea');

async function run(workers) {
  const source = synthSource(spec, { seed: 1, rows });
  const d = source.schema.features.length;
  const forest = new AdaptiveRandomForest({ nFeatures: d, nClasses: source.schema.classes.length, seed: 7, nominal: source.schema.nominal }, { workers });
  const data = new Float64Array(chunk * d);
  const y = new Int32Array(chunk);
  const k = source.schema.classes.length;
  let n = 0;
  let correct = 0;
  let checksum = 0;
  const flush = async (m) => {
    const p = await forest.learnScored({ x: { data: data.subarray(0, m * d), rows: m, cols: d }, y: y.subarray(0, m) });
    for (let r = 0; r < m; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (p[r * k + c] > p[r * k + best]) best = c;
      if (best === y[r]) correct++;
      checksum += p[r * k];
    }
  };
  const start = process.hrtime.bigint();
  for await (const row of source.rows()) {
    data.set(row.x, n * d);
    y[n] = row.y;
    if (++n === chunk) {
      await flush(n);
      n = 0;
    }
  }
  if (n) await flush(n);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  forest.dispose();
  return { workers, accuracy: correct / rows, checksum, rowsPerSecond: rows / seconds };
}

const one = await run(1);
const two = await run(2);
console.log(`adaptive-random-forest, ${spec}, ${rows.toLocaleString('en-US')} rows, prequential in chunks of ${chunk}`);
for (const r of [one, two]) {
  console.log(`  workers ${r.workers}: ${Math.round(r.rowsPerSecond).toLocaleString('en-US').padStart(8)} rows/s, accuracy ${(r.accuracy * 100).toFixed(2)}%`);
}
console.log(`  speed-up with 2 workers: ${(two.rowsPerSecond / one.rowsPerSecond).toFixed(2)}x; identical probabilities: ${one.checksum === two.checksum && one.accuracy === two.accuracy}`);
