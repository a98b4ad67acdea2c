// streamlearn in a web page: a Hoeffding tree learns a stream one row at a
// time (predict, then learn: prequential evaluation) and the page shows its
// running accuracy. Build and open (see README.md beside this file):
//
//   npx esbuild examples/browser/app.js --bundle --format=esm --platform=browser --external:crypto --outfile=examples/browser/app.bundle.js
//   npx http-server examples/browser   (or any static server), then open http://localhost:8080/
import { Model } from 'streamlearn';

// A seeded stream: two numbers in [0, 10), labelled "above" when they sum past 10 (5% of labels flipped).
function* stream(seed) {
  let s = seed >>> 0;
  const random = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (;;) {
    const x = { a: random() * 10, b: random() * 10 };
    const above = x.a + x.b > 10;
    yield { x, y: (random() < 0.05 ? !above : above) ? 'above' : 'below' };
  }
}

export async function run(rows = 10_000) {
  const schema = { features: ['a', 'b'], label: 'y', classes: ['below', 'above'] };
  const model = await Model.create('hoeffding-tree', schema, { params: { gracePeriod: 100 } });
  let right = 0;
  let seen = 0;
  for (const { x, y } of stream(1)) {
    if (model.predictOne(x) === y) right++;
    model.learnOne(x, y);
    if (++seen === rows) break;
  }
  const probe = { a: 7, b: 6 };
  return { rows: seen, accuracy: right / seen, probe, proba: model.predictProbaOne(probe) };
}

if (typeof document !== 'undefined') {
  const out = document.getElementById('out');
  run().then(
    (r) => {
      out.textContent = `${r.rows} rows, prequential accuracy ${(100 * r.accuracy).toFixed(1)}%; P(above | a=7, b=6) = ${r.proba.above.toFixed(3)}`;
    },
    (err) => {
      out.textContent = `failed: ${err.message}`;
    },
  );
}
