// Prequential accuracy of streamlearn's learners against MOA 2024.07 on the same streams
// (figures measured on this machine kind, given in the learners issue), one process per case.
//   npm run build && node bench/accuracy-vs-moa.mjs [--rows N] [--learners a,b] [--streams sea,rbf,agrawal-drift]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { moaAccuracy } from './moa-reference.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const rows = Number(flag('rows', '1000000'));
const streams = {
  sea: { spec: 'sea(function=1,noise-percentage=10)', title: 'SEA f1, 10% noise' },
  rbf: { spec: 'random-rbf', title: 'RandomRBF 50 centroids, 10 attributes' },
  'agrawal-drift': { spec: `agrawal(function=1)>agrawal(function=2)@${rows / 2}/${rows / 20}`, title: 'Agrawal 1 -> 2, drift mid-stream' },
};
// MOA 2024.07, EvaluatePrequential, basic cumulative evaluator, 1,000,000 rows (shared with bench/run.mjs).
const moa = moaAccuracy;
const learners = flag('learners', 'gaussian-nb,hoeffding-tree,hoeffding-adaptive-tree,adaptive-random-forest').split(',');
const chosen = flag('streams', Object.keys(streams).join(',')).split(',');

const caseScript = fileURLToPath(new URL('./prequential-case.mjs', import.meta.url));
const results = [];
console.log(`prequential, ${rows.toLocaleString('en-US')} rows per stream; MOA figures are for 1,000,000 rows\n`);
console.log(['stream'.padEnd(40), 'learner'.padEnd(24), 'accuracy', '   MOA', '  diff', '   rows/s', 'peak MB'].join('  '));
for (const key of chosen) {
  for (const learner of learners) {
    const out = execFileSync(process.execPath, [caseScript, learner, streams[key].spec, String(rows)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const r = JSON.parse(out.trim().split('\n').pop());
    const reference = moa[key]?.[learner] ?? null;
    const accuracy = r.accuracy * 100;
    results.push({ ...r, streamKey: key, moaAccuracy: reference, difference: reference === null ? null : accuracy - reference });
    console.log(
      [
        streams[key].title.padEnd(40),
        learner.padEnd(24),
        accuracy.toFixed(2).padStart(8),
        (reference === null ? '-' : reference.toFixed(1)).padStart(6),
        (reference === null ? '-' : (accuracy - reference).toFixed(2)).padStart(6),
        Math.round(r.rowsPerSecond).toLocaleString('en-US').padStart(9),
        Math.round(r.peakRssMB).toString().padStart(7),
      ].join('  '),
    );
  }
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/accuracy-vs-moa.json', import.meta.url), JSON.stringify({ rows, results }, null, 2) + '\n');
