// The merge time of N replicas (2, 4, 8, 16) for each learner that merges (issue 17, "Scaling past this
// machine"): what a periodic merge (`worker --merge-into`) or `streamlearn merge` costs as workers are added.
//
// For each mergeable classifier (mergeKinds: exact, weighted average, pooled members, interleaved
// windows), 16 replicas are trained once, each on its own part of SEA (`sea(noise-percentage=10)`, the
// generator seeded by the replica's index), with the learner's defaults; averaged learners share one seed
// (as workers do), ensembles get one each (as workers derive). Each is saved as a model directory. Then
// for N = 2, 4, 8, 16, round after round: load the first N (loadModel), merge them (mergeModels, which
// works on their saved states and restores the merged one), save the merged model (saveModel). Reported:
// median wall seconds of each step and of the three together, CPU seconds of the whole (process.cpuUsage(),
// every thread), the replicas' and the merged model's bytes on disk. A worker's periodic merge does the
// same through the registry, which adds one download per replica and one upload.
// Writes bench/results/merge-scaling.{json,md} (merge-scaling-partial.* with --learners or --rows)
// atomically.
//   npm run build && node bench/merge-scaling.mjs [--rounds 3] [--learners a,b] [--replicas 2,4,8,16]
//     [--rows N (20,000)] [--forest-rows N (ensembles, 10,000)] [--chunk-forest-rows N (forest-ensemble, 2,500)] [--mlp-rows N (2,000)]
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { learnerNames, mergeKinds, mergeModels, Model, rowsToBatch, synthSource } from '../dist/index.js';
import { loadModel, saveModel } from '../dist/node/index.js';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);
const rounds = Number(flag('rounds', '3'));
const counts = list(flag('replicas', '2,4,8,16')).map(Number);
const SPEC = 'sea(noise-percentage=10)';
const SEED = 42;
const mergeable = learnerNames.filter((n) => mergeKinds[n]);
const chosen = flag('learners') ? list(flag('learners')) : mergeable;
for (const name of chosen) if (!mergeKinds[name]) throw new Error(`${name}: not a learner whose replicas merge (${mergeable.join(', ')})`);
const POOLED = new Set(chosen.filter((n) => mergeKinds[n] === 'pooled members'));
/**
 * Rows each replica learns: ensembles are slow to train and large, mlp is slow to train, and forest-ensemble fits a
 * cross-validated random forest per 500 rows (its replicas hold at most 10 forests from 2,000 rows on).
 */
const rowsFor = (name) =>
  Number(name === 'forest-ensemble' ? flag('chunk-forest-rows', '2500') : POOLED.has(name) ? flag('forest-rows', '10000') : name === 'mlp' ? flag('mlp-rows', '2000') : flag('rows', '20000'));

// mlp is registered by its own entry point (TensorFlow.js): without it, mlp is left out with a note.
const notes = [];
if (chosen.includes('mlp')) {
  try {
    await import('../dist/mlp/index.js');
  } catch (err) {
    notes.push(`mlp left out: ${err.message}`);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'streamlearn-merge-scaling-'));
const bytesOf = (path) => {
  let n = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, entry.name);
    n += entry.isDirectory() ? bytesOf(p) : statSync(p).size;
  }
  return n;
};

/** A replica trained on its own part of the stream, with the summary a worker's checkpoint carries. */
async function replica(name, index, rows) {
  const source = synthSource(SPEC, { seed: 1000 + index, rows });
  const all = [];
  for await (const row of source.rows()) all.push(row);
  const seed = POOLED.has(name) ? SEED + index : SEED;
  const model = await Model.createByName(name, source.schema, { seed });
  const cols = source.schema.features.length;
  for (let at = 0; at < all.length; at += 500) await model.learn(rowsToBatch(all.slice(at, at + 500), cols));
  model.summary = {
    dataset: 'sea',
    protocol: 'prequential',
    rows,
    batches: Math.ceil(rows / 500),
    accuracy: 0,
    meanAccuracy: null,
    stdAccuracy: null,
    seed,
    batchSize: 500,
    testSize: 0,
    trainedAt: new Date().toISOString(),
    sequences: [[index * rows + 1, (index + 1) * rows]],
  };
  const out = join(dir, `${name}-${index}`);
  await saveModel(model, out);
  model.dispose();
  return out;
}

const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const fmt = (n, digits = 0) => (n === null || n === undefined || Number.isNaN(n) ? '-' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));

const load0 = loadavg();
const t0 = performance.now();
const results = [];
try {
  for (const name of chosen) {
    if (notes.some((n) => n.startsWith(`${name} left out`))) continue;
    const rows = rowsFor(name);
    const dirs = [];
    for (let i = 0; i < Math.max(...counts); i++) dirs.push(await replica(name, i, rows));
    const replicaBytes = median(dirs.map(bytesOf));
    for (const n of counts) {
      const runs = [];
      for (let round = 0; round < rounds; round++) {
        const out = join(dir, `${name}-merged-${n}-${round}`);
        const cpu0 = process.cpuUsage();
        const a = performance.now();
        const models = [];
        for (const d of dirs.slice(0, n)) models.push(await loadModel(d));
        const b = performance.now();
        const merged = await mergeModels(models.map((model, i) => ({ model, label: dirs[i] })));
        const c = performance.now();
        await saveModel(merged.model, out);
        const d = performance.now();
        const cpu = process.cpuUsage(cpu0);
        runs.push({ load: (b - a) / 1000, merge: (c - b) / 1000, save: (d - c) / 1000, total: (d - a) / 1000, cpu: (cpu.user + cpu.system) / 1e6, bytes: bytesOf(out), kind: merged.kind });
        for (const m of models) m.dispose();
        merged.model.dispose();
        rmSync(out, { recursive: true, force: true });
      }
      const r = {
        learner: name,
        kind: runs[0].kind,
        replicas: n,
        rowsPerReplica: rows,
        replicaBytes,
        mergedBytes: runs[0].bytes,
        loadSeconds: median(runs.map((x) => x.load)),
        mergeSeconds: median(runs.map((x) => x.merge)),
        saveSeconds: median(runs.map((x) => x.save)),
        totalSeconds: median(runs.map((x) => x.total)),
        cpuSeconds: median(runs.map((x) => x.cpu)),
      };
      results.push(r);
      console.error(`${name}, ${n} replicas: load ${fmt(r.loadSeconds, 3)} s, merge ${fmt(r.mergeSeconds, 3)} s, save ${fmt(r.saveSeconds, 3)} s (${fmt(r.mergedBytes)} bytes)`);
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const load1 = loadavg();
const machine = `${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform} ${process.arch}`;
const md = [];
md.push('# Merge time as replicas are added (issue 17)');
md.push('');
md.push(
  `${new Date().toISOString()}; ${machine}; load average ${load0.map((l) => l.toFixed(2)).join(' ')} before, ${load1.map((l) => l.toFixed(2)).join(' ')} after; ${fmt((performance.now() - t0) / 1000)} s in all.`,
);
md.push('');
md.push(
  `Replicas: the learner's defaults, each trained on its own ${'`'}${SPEC}${'`'} rows (seed 1000 + its index) and saved as a model directory. ` +
    `Per N, median of ${rounds} rounds: load the N directories, mergeModels, save the merged model (wall seconds; CPU: the three together, every thread). ` +
    'A worker\'s periodic merge (--merge-into) adds one registry download per replica and one upload.',
);
md.push('');
md.push('| learner | merge | rows per replica | replica bytes | replicas | load s | merge s | save s | total s | CPU s | merged bytes |');
md.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
for (const r of results) {
  md.push(
    `| ${r.learner} | ${r.kind} | ${fmt(r.rowsPerReplica)} | ${fmt(r.replicaBytes)} | ${r.replicas} | ${fmt(r.loadSeconds, 3)} | ${fmt(r.mergeSeconds, 3)} | ${fmt(r.saveSeconds, 3)} | ${fmt(r.totalSeconds, 3)} | ${fmt(r.cpuSeconds, 2)} | ${fmt(r.mergedBytes)} |`,
  );
}
if (notes.length) {
  md.push('');
  for (const n of notes) md.push(`- ${n}`);
}
console.log(md.join('\n'));

const base = ['learners', 'rows', 'forest-rows', 'chunk-forest-rows', 'mlp-rows', 'replicas'].some((f) => flag(f)) ? 'merge-scaling-partial' : 'merge-scaling';
const out = new URL('./results/', import.meta.url);
mkdirSync(out, { recursive: true });
const writeAtomic = (name, text) => {
  const path = fileURLToPath(new URL(name, out));
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
};
writeAtomic(`${base}.json`, JSON.stringify({ date: new Date().toISOString(), machine, loadBefore: load0, loadAfter: load1, rounds, notes, results }, null, 2) + '\n');
writeAtomic(`${base}.md`, md.join('\n') + '\n');
console.error(`wrote bench/results/${base}.json and .md`);
