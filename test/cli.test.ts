import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { ROOT, runCli, tempDir } from './helpers.js';

describe('streamlearn train', () => {
  it('prints the per-batch table and the summary, and saves the model', () => {
    const cwd = tempDir();
    const r = runCli(['train'], { cwd });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^batch\s+train\s+test\s+accuracy$/m);
    expect(r.stdout).toMatch(/^\s+9\s+4\s+2\s+\d\.\d{4}$/m);
    expect(r.stdout).toMatch(/^mean accuracy\s+0\.9250 ± 0\.\d{4} \(sample std over 10 scored batches\)$/m);
    expect(r.stdout).toContain('model saved    models/iris-gaussian-nb');
    expect(readdirSync(join(cwd, 'models', 'iris-gaussian-nb')).sort()).toEqual(['manifest.json', 'state.json']);
  });

  it('with --format json prints exactly one JSON object with the report fields', () => {
    const out = join(tempDir(), 'm');
    const r = runCli(['train', '--dataset', 'wine', '--model', 'softmax-regression', '--format', 'json', '--out', out, '--seed', '3', '--batch-size', '20', '--test-size', '0.25']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ dataset: 'wine', model: 'softmax-regression', seed: 3, batchSize: 20, testSize: 0.25, rows: 178, modelPath: out });
    expect(report.batches).toHaveLength(9);
    expect(Object.keys(report.batches[0]).sort()).toEqual(['accuracy', 'index', 'stratified', 'testRows', 'trainRows']);
    expect(typeof report.meanAccuracy).toBe('number');
    expect(typeof report.stdAccuracy).toBe('number');
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
  });

  it('names the TensorFlow.js backend that ran the mlp', () => {
    const r = runCli(['train', '--model', 'mlp', '--format', 'json', '--no-save']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model: 'mlp', backend: 'wasm', modelPath: null });
  });

  it('trains on any CSV file with --data and --label, and takes --param', () => {
    const dir = tempDir();
    const csv = join(dir, 'points.csv');
    const lines = ['x,y,kind'];
    for (let i = 0; i < 60; i++) lines.push(`${i % 2 ? 10 + (i % 5) : i % 5},${i % 3},${i % 2 ? 'far' : 'near'}`);
    writeFileSync(csv, lines.join('\n'));
    const r = runCli(['train', '--data', csv, '--label', 'kind', '--model', 'softmax-regression', '--param', 'optimizer=adam', '--format', 'json', '--out', join(dir, 'm')]);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ dataset: 'points', classes: ['near', 'far'], params: { optimizer: 'adam' } });
    expect(report.meanAccuracy).toBeGreaterThan(0.9);
  });
});

describe('streamlearn train: bad input', () => {
  const dir = () => tempDir();
  const cases: [string, (d: string) => string[], RegExp][] = [
    ['unknown data set', () => ['--dataset', 'mnist'], /^streamlearn: unknown data set "mnist" \(bundled: auto-mpg, breast-cancer, diabetes, digits, iris, wine;/],
    ['unknown learner', () => ['--model', 'svm'], /^streamlearn: unknown learner "svm" \(classifiers: gaussian-nb, softmax-regression, mlp, forest-ensemble, hoeffding-tree, .*, no-change; regressors: linear-regression, .*, mean-regressor\)$/],
    ['missing label column', (d) => ['--data', csvIn(d, 'a,b\n1,2\n'), '--label', 'y'], /: no label column "y" \(columns: a, b\)$/],
    ['non-numeric feature', (d) => ['--data', csvIn(d, 'a,b,y\n1,2,u\n3,x,v\n'), '--label', 'y'], /data\.csv: line 3, column "b": "x" is not a number$/],
    ['ragged row', (d) => ['--data', csvIn(d, 'a,b,y\n1,2,u\n3,v\n'), '--label', 'y'], /data\.csv: line 3: expected as many fields as the header, found 2$/],
    ['empty file', (d) => ['--data', csvIn(d, ''), '--label', 'y'], /data\.csv: the file is empty \(expected a header row\)$/],
    ['header only', (d) => ['--data', csvIn(d, 'a,y\n'), '--label', 'y'], /data\.csv: no data rows after the header$/],
    ['missing file', (d) => ['--data', join(d, 'nope.csv'), '--label', 'y'], /nope\.csv: no such file$/],
    ['batch size 0', () => ['--batch-size', '0'], /--batch-size <n>' argument '0' is invalid\. expected an integer from 1 to 1000000\.$/],
    ['batch size 1', () => ['--batch-size', '1'], /^streamlearn: --batch-size 1 leaves no row to test/],
    ['batch size not a number', () => ['--batch-size', 'many'], /--batch-size <n>' argument 'many' is invalid\. expected an integer from 1 to 1000000\.$/],
    ['test size 0', () => ['--test-size', '0'], /^streamlearn: --test-size must be strictly between 0 and 1, got 0$/],
    ['test size 1.5', () => ['--test-size', '1.5'], /^streamlearn: --test-size must be strictly between 0 and 1, got 1\.5$/],
    ['bad parameter', () => ['--param', 'var-smoothing=-1'], /^streamlearn: --param var-smoothing=-1: must be at least 0$/],
  ];

  it.each(cases)('%s: one line on stderr, exit 1, nothing written', (_, args, message) => {
    const d = dir();
    const out = join(d, 'model-out');
    const r = runCli(['train', ...args(d), '--out', out, '--format', 'json'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(d).filter((f) => f !== 'data.csv')).toEqual([]);
  });
});

function csvIn(dir: string, text: string): string {
  const path = join(dir, 'data.csv');
  writeFileSync(path, text);
  return path;
}

describe('streamlearn predict', () => {
  function trained(): string {
    const out = join(tempDir(), 'iris');
    expect(runCli(['train', '--out', out, '--format', 'json']).status).toBe(0);
    return out;
  }

  it('prints one row per input row, with the label and each class probability', () => {
    const model = trained();
    const r = runCli(['predict', '--model', model, '--input', 'data/iris.csv']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('row,prediction,p_setosa,p_versicolor,p_virginica');
    expect(lines).toHaveLength(151);
    const first = lines[1].split(',');
    expect(first.slice(0, 2)).toEqual(['1', 'setosa']);
    expect(first.slice(2).map(Number).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    const correct = lines.slice(1).filter((l, i) => l.split(',')[1] === (i < 50 ? 'setosa' : i < 100 ? 'versicolor' : 'virginica'));
    expect(correct.length).toBeGreaterThan(140);
  });

  it('reads JSON lines from stdin and writes JSON lines', () => {
    const model = trained();
    const input = [
      JSON.stringify({ sepal_length_cm: 5.1, sepal_width_cm: 3.5, petal_length_cm: 1.4, petal_width_cm: 0.2 }),
      JSON.stringify({ sepal_length_cm: 6.7, sepal_width_cm: 3.0, petal_length_cm: 5.2, petal_width_cm: 2.3, id: 'extra keys are ignored' }),
    ].join('\n');
    const r = runCli(['predict', '--model', model, '--input', '-', '--input-format', 'jsonl', '--format', 'jsonl'], { input });
    expect(r.status).toBe(0);
    const rows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.prediction)).toEqual(['setosa', 'virginica']);
    expect(Object.keys(rows[0].probabilities)).toEqual(['setosa', 'versicolor', 'virginica']);
  });

  it('fails when the input lacks a feature the model needs, or the model directory is not one', () => {
    const model = trained();
    const d = tempDir();
    const r = runCli(['predict', '--model', model, '--input', csvIn(d, 'sepal_length_cm,sepal_width_cm,petal_length_cm\n1,2,3\n')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd()).toMatch(/data\.csv: missing feature column "petal_width_cm" that the model needs$/);
    const jl = runCli(['predict', '--model', model, '--input', '-', '--input-format', 'jsonl'], { input: '{"sepal_length_cm": 1}\n' });
    expect(jl.stderr.trimEnd()).toBe('streamlearn: <stdin>: line 1: missing feature "sepal_width_cm" that the model needs');
    const none = runCli(['predict', '--model', d, '--input', 'data/iris.csv']);
    expect(none.status).toBe(1);
    expect(none.stderr.trimEnd()).toBe(`streamlearn: ${d}: no manifest.json; not a streamlearn model directory`);
  });
});

describe('streamlearn datasets', () => {
  it('lists the bundled data sets with rows, features and classes', () => {
    const r = runCli(['datasets']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^iris\s+150\s+4\s+3\s+CC BY 4\.0$/m);
    expect(r.stdout).toMatch(/^wine\s+178\s+13\s+3\s/m);
    expect(r.stdout).toMatch(/^breast-cancer\s+569\s+30\s+2\s/m);
    expect(r.stdout).toMatch(/^digits\s+1797\s+64\s+10\s/m);
  });
});

describe('examples/quickstart.mjs', () => {
  it('runs and predicts virginica', () => {
    const r = spawnSync(process.execPath, ['examples/quickstart.mjs'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^mean per-batch accuracy 0\.925 over 10 batches$/m);
    expect(r.stdout).toMatch(/^virginica /m);
  });
});

describe('streamlearn learners, detectors, generators, steps', () => {
  it.each([
    ['learners', ['gaussian-nb', 'hoeffding-tree', 'hoeffding-adaptive-tree', 'adaptive-random-forest', 'online-bagging', 'leveraging-bagging', 'knn', 'no-change'], '  --param grace-period=200  '],
    ['detectors', ['adwin', 'ddm', 'eddm', 'page-hinkley', 'hddm-a'], '  --drift-param delta=0.002  '],
    ['generators', ['sea', 'agrawal', 'random-rbf', 'random-rbf-drift', 'hyperplane', 'led', 'led-drift', 'stagger', 'sine'], '  noise-percentage=10  '],
    ['steps', ['standard-scaler', 'min-max-scaler', 'impute-mean', 'impute-mode', 'one-hot'], '  --preprocess-param impute-mode.max-values=25  '],
  ])('%s lists every entry with its parameters', (command, names, parameterLine) => {
    const r = runCli([command as string]);
    expect(r.status).toBe(0);
    for (const name of names as string[]) expect(r.stdout).toMatch(new RegExp(`^${name}: `, 'm'));
    expect(r.stdout).toContain(parameterLine as string);
  });
});

describe('module loading', () => {
  // Circular imports can work or fail depending on which module loads first: each entry point goes first once.
  // The build is bundled (scripts/bundle.mjs): its entry points go first as built.
  it.each(['index.js', 'node/index.js', 'node/serve/index.js', 'node/broker/index.js', 'mlp/index.js', 'dataframe/index.js', 'node/cli/main.js', 'node/forest-worker.js'])(
    'dist/%s loads first, on its own',
    (module) => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(`./dist/${module}`)});`], { cwd: ROOT, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    },
  );

  // Inside the bundle, the order is the entry point's; a module that another entry point, a lazily loaded
  // command or a test reaches first must load first too. Each is bundled alone (esbuild keeps ES modules'
  // order of evaluation) and run.
  const inner = [
    'node/cli/train-run.ts',
    'node/pipeline.ts',
    'learners/registry.ts',
    'learners/bagging.ts',
    'learners/forest.ts',
    'drift/registry.ts',
    'data/synth/registry.ts',
    'preprocess/registry.ts',
    'node/persist/model-dir.ts',
  ];
  let alone: string;
  beforeAll(async () => {
    alone = mkdtempSync(join(tmpdir(), 'streamlearn-alone-'));
    // Packages stay external: the copies resolve them through a link to the repository's node_modules.
    symlinkSync(join(ROOT, 'node_modules'), join(alone, 'node_modules'), 'dir');
    const { build } = await import('esbuild');
    await build({
      entryPoints: inner.map((m) => join(ROOT, 'src', m)),
      outdir: join(alone, 'dist'),
      outbase: join(ROOT, 'src'),
      bundle: true,
      format: 'esm',
      platform: 'node',
      packages: 'external',
      logLevel: 'error',
    });
  });
  // rmSync removes the link to node_modules, not what it points to.
  afterAll(() => rmSync(alone, { recursive: true, force: true }));

  it.each(inner)('src/%s loads first, on its own', (module) => {
    const file = join(alone, 'dist', module.replace(/\.ts$/, '.js'));
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(file).href)});`], { cwd: alone, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('streamlearn train --shuffle-buffer', () => {
  it('shuffles through a seeded buffer: the same seed gives the same report, and says so', () => {
    const run = () => JSON.parse(runCli(['train', '--shuffle-buffer', '32', '--format', 'json', '--no-save']).stdout);
    const a = run();
    const b = run();
    expect(a).toMatchObject({ shuffled: true, shuffleBuffer: 32 });
    expect(b.batches).toEqual(a.batches);
    const exact = JSON.parse(runCli(['train', '--format', 'json', '--no-save']).stdout);
    expect(exact).toMatchObject({ shuffled: true, shuffleBuffer: null });
  });

  it('refuses a size under 1, and a buffer with --no-shuffle', () => {
    const zero = runCli(['train', '--shuffle-buffer', '0', '--no-save']);
    expect(zero.status).toBe(1);
    expect(zero.stderr.trimEnd()).toBe("error: option '--shuffle-buffer <n>' argument '0' is invalid. expected an integer from 1 to 100000000.");
    const both = runCli(['train', '--shuffle-buffer', '8', '--no-shuffle', '--no-save']);
    expect(both.status).toBe(1);
    expect(both.stderr).toMatch(/--shuffle-buffer and --no-shuffle .* contradict each other/);
  });
});

describe('streamlearn generate', () => {
  it('writes a stream that trains exactly like the stream itself', () => {
    const dir = tempDir();
    const file = join(dir, 'sea.csv');
    const gen = spawnSync(process.execPath, [join(ROOT, 'bin', 'streamlearn.js'), 'generate', 'sea(noise-percentage=10)', '--rows', '5000', '--seed', '3'], { encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(gen.status).toBe(0);
    writeFileSync(file, gen.stdout);
    const lines = gen.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('attrib1,attrib2,attrib3,class');
    expect(lines).toHaveLength(5001);
    const common = ['--protocol', 'prequential', '--model', 'hoeffding-tree', '--seed', '3', '--format', 'json', '--no-save'];
    const fromFile = JSON.parse(runCli(['train', '--data', file, '--label', 'class', '--classes', 'groupA,groupB', ...common]).stdout);
    const fromStream = JSON.parse(runCli(['train', '--data', 'synth:sea(noise-percentage=10)', '--rows', '5000', ...common]).stdout);
    expect(fromFile.rows).toBe(5000);
    expect(fromFile.accuracy).toBe(fromStream.accuracy);
    expect(fromFile.classes).toEqual(fromStream.classes);
  });

  it('writes JSON lines, and stops cleanly when its reader does', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${join(ROOT, 'bin', 'streamlearn.js')}" generate agrawal --format jsonl | head -2`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const rows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2);
    expect(Object.keys(rows[0])).toEqual(['salary', 'commission', 'age', 'elevel', 'car', 'zipcode', 'hvalue', 'hyears', 'loan', 'class']);
    expect(['groupA', 'groupB']).toContain(rows[0].class);
  });
});

describe('streamlearn train --format markdown', () => {
  it('writes a report document with the settings, metrics, confusion matrix and per-batch table', () => {
    const r = runCli(['train', '--format', 'markdown', '--no-save']);
    expect(r.status).toBe(0);
    const md = r.stdout;
    expect(md).toMatch(/^# streamlearn training report: gaussian-nb on iris$/m);
    expect(md).toContain('| protocol | batch-split, batch size 16, test size 0.2 |');
    expect(md).toMatch(/^\| kappa \| 0\.\d{4} \|$/m);
    // The confusion matrix's cells add up to the 38 scored rows.
    const section = md.split('### Confusion matrix')[1].split('## Per-batch accuracy')[0];
    const cells = section.split('\n').filter((l) => /^\| (setosa|versicolor|virginica) \|/.test(l)).flatMap((l) => l.split('|').slice(2, -1).map(Number));
    expect(cells).toHaveLength(9);
    expect(cells.reduce((a, b) => a + b, 0)).toBe(38);
    // One table row per batch.
    const batches = md.split('## Per-batch accuracy')[1].split('## Model size')[0].split('\n').filter((l) => /^\| \d+ \|/.test(l));
    expect(batches).toHaveLength(10);
    // Iris is smaller than --size-every: one size, at the end.
    expect(md.split('## Model size')[1]).toMatch(/^\s*\| rows \| bytes \|\n\| --- \| --- \|\n\| 150 \| \d+ \|\n/);
  });

  it('shows the learning curve for prequential runs', () => {
    const r = runCli(['train', '--data', 'synth:sea', '--rows', '3000', '--protocol', 'prequential', '--window', '500', '--format', 'markdown', '--no-save']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('| rows | accuracy | windowed |');
    expect(r.stdout.split('## Learning curve')[1].split('## Model size')[0].split('\n').filter((l) => /^\| \d+ \|/.test(l))).toHaveLength(3);
  });
});
