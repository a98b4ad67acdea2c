import { describe, expect, it } from 'vitest';
import { compareWithSettings, trainWithSettings } from '../src/node/pipeline.js';
import { runCli } from './helpers.js';

const SEA = 'synth:sea(noise-percentage=10)';

describe('what the terminal shows', () => {
  it('compare hands every learner\'s running accuracy to its progress display, not only the first\'s', async () => {
    const seen: [number, number][] = [];
    const { reports, models } = await compareWithSettings({
      data: SEA,
      rows: 3000,
      protocol: 'prequential',
      seed: 3,
      models: ['hoeffding-tree', 'gaussian-nb'],
      progressEvery: 1000,
      onScore: (learner, accuracy) => seen.push([learner, accuracy]),
    });
    for (const m of models) m.dispose();
    for (const [i, report] of reports.entries()) {
      const own = seen.filter(([l]) => l === i).map(([, a]) => a);
      // Every 1,000 rows: three scores, the last one the report's accuracy over all 3,000 rows.
      expect(own).toHaveLength(3);
      expect(own[2]).toBe(report.accuracy);
    }
  });

  it('train reports scores under every protocol: per scored batch, per curve step, per holdout evaluation', async () => {
    for (const [protocol, expected] of [['batch-split', 10], ['prequential', 2], ['holdout', 2]] as const) {
      const seen: number[] = [];
      const { model, report } = await trainWithSettings({
        data: SEA,
        rows: 2000,
        protocol,
        ...(protocol === 'batch-split' ? { batchSize: 200 } : {}),
        ...(protocol === 'prequential' ? { progressEvery: 1000 } : {}),
        ...(protocol === 'holdout' ? { holdoutRows: 500, holdoutEvery: 750 } : {}),
        seed: 3,
        out: null,
        onScore: (_, accuracy) => seen.push(accuracy),
      });
      model.dispose();
      expect(seen, protocol).toHaveLength(expected);
      if (protocol !== 'batch-split') expect(seen[seen.length - 1], protocol).toBe(report.accuracy);
    }
  });

  it('prints the prequential table at --curve-every with the windowed and faded columns asked for', () => {
    const r = runCli(['train', '--data', SEA, '--rows', '3000', '--protocol', 'prequential', '--curve-every', '750', '--window', '500', '--fading', '0.99', '--no-save', '--seed', '3']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => l.startsWith('rows'));
    expect(lines[header]).toMatch(/^rows\s+accuracy\s+last 500 rows\s+faded \(0\.99\)$/);
    const table = lines.slice(header + 1, header + 5);
    expect(table.map((l) => l.split(/\s+/)[0])).toEqual(['750', '1,500', '2,250', '3,000']);
    for (const l of table) expect(l.split(/\s+/)).toHaveLength(4);
    // Off a terminal no bar is drawn, on either stream.
    expect(r.stdout + r.stderr).not.toMatch(/\u001b\[/);
  });

  it('prints about ten lines by default, and the last row', () => {
    const r = runCli(['train', '--data', SEA, '--rows', '2500', '--protocol', 'prequential', '--no-save', '--seed', '3']);
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => l.startsWith('rows'));
    expect(lines[header]).toMatch(/^rows\s+accuracy$/);
    const rows = lines.slice(header + 1).filter((l) => /^[\d,]+\s/.test(l)).map((l) => l.split(/\s+/)[0]);
    expect(rows).toEqual(['1,000', '2,000', '2,500']);
  });

  it('compare prints model sizes as train does, with thousands separators and a unit', () => {
    const r = runCli(['compare', '--data', SEA, '--rows', '2000', '--models', 'hoeffding-tree,gaussian-nb', '--protocol', 'prequential', '--seed', '3']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^model size\s+[\d,]+ bytes\s+[\d,]+ bytes$/m);
  });
});
