// The installed size of the package as a user gets it: `npm pack`, then
// `npm install <tarball>` into a fresh project without the optional peers
// (TensorFlow.js, danfojs-node), and the size of its node_modules, in total
// and by each of streamlearn's own dependencies with everything only it
// pulls in (files' sizes). Target (issue 13): at most 30 MB. The total is
// given twice: the files' own sizes, and the blocks they take on this file
// system (`du -s`), which is larger by the many small files.
//
//   node bench/package-size.mjs [--tarball FILE] [--project DIR]
//
// Builds nothing: `npm run bench` builds first (or run `npm run build`).
// --project measures an installed project instead of making one. Prints a
// table on stderr and one JSON line on stdout:
// {"case":"package-size","tarballBytes":..,"nodeModulesMB":..,"targetMB":30,"groups":{..}}
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TARGET_MB = 30;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NPM_QUIET = ['--prefer-offline', '--no-audit', '--no-fund'];

/**
 * The size under a path, links not followed: `bytes`, the files' own sizes
 * (what npm's unpackedSize counts, the same on every file system), and
 * `disk`, the blocks they take (what `du -s` says; more, by how many small
 * files there are and the file system's block size).
 */
export function diskUsage(path) {
  const st = lstatSync(path);
  const own = { bytes: st.isDirectory() ? 0 : st.size, disk: st.blocks * 512 };
  if (!st.isDirectory()) return own;
  for (const name of readdirSync(path)) {
    const sub = diskUsage(join(path, name));
    own.bytes += sub.bytes;
    own.disk += sub.disk;
  }
  return own;
}

/** Packs the project (already built) into dir; returns the tarball's path. */
export function pack(dir) {
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  return join(dir, JSON.parse(out)[0].filename);
}

/**
 * node_modules' size in a project, in total and per top-level dependency of
 * `pkg` (default streamlearn): each group holds the packages only that
 * dependency pulls in; packages two or more pull in are "shared".
 */
export function nodeModulesSize(project, pkg = 'streamlearn') {
  const nm = join(project, 'node_modules');
  const tree = JSON.parse(execFileSync('npm', ['ls', '--all', '--json'], { cwd: project, encoding: 'utf8' }));
  const top = tree.dependencies?.[pkg];
  const owners = new Map();
  const walk = (node, group, seen) => {
    for (const [name, dep] of Object.entries(node.dependencies ?? {})) {
      if (seen.has(name) || dep.missing) continue;
      seen.add(name);
      if (!owners.has(name)) owners.set(name, new Set());
      owners.get(name).add(group);
      walk(dep, group, seen);
    }
  };
  for (const [name, dep] of Object.entries(top?.dependencies ?? {})) {
    if (dep.missing) continue;
    if (!owners.has(name)) owners.set(name, new Set());
    owners.get(name).add(name);
    walk(dep, name, new Set([name]));
  }
  const groups = { [pkg]: bytesOf(join(nm, pkg)) };
  for (const [name, gs] of owners) {
    const group = gs.size > 1 ? 'shared' : [...gs][0];
    groups[group] = (groups[group] ?? 0) + bytesOf(join(nm, name));
  }
  for (const [name, bytes] of Object.entries(groups)) if (bytes === 0) delete groups[name];
  const total = diskUsage(nm);
  return { totalBytes: total.bytes, diskBytes: total.disk, groups };
}

function bytesOf(path) {
  try {
    return diskUsage(path).bytes;
  } catch {
    return 0; // an optional peer not installed
  }
}

const mb = (bytes) => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function main() {
  const args = process.argv.slice(2);
  const flag = (name) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  let project = flag('project');
  let tarballBytes = null;
  const scratch = project ? null : mkdtempSync(join(tmpdir(), 'streamlearn-size-'));
  try {
    if (!project) {
      const tarball = flag('tarball') ?? pack(scratch);
      tarballBytes = lstatSync(tarball).size;
      project = join(scratch, 'project');
      execFileSync('mkdir', ['-p', project]);
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'size-check', version: '1.0.0', private: true, type: 'module' }));
      execFileSync('npm', ['install', tarball, ...NPM_QUIET], { cwd: project, stdio: ['ignore', 'ignore', 'inherit'] });
    }
    const { totalBytes, diskBytes, groups } = nodeModulesSize(project);
    const rows = Object.entries(groups).sort((a, b) => b[1] - a[1]);
    process.stderr.write(
      `node_modules: ${mb(totalBytes)} MB of files, ${mb(diskBytes)} MB on disk (du -s) (target ${TARGET_MB} MB)${tarballBytes ? `; tarball ${mb(tarballBytes)} MB` : ''}\n`,
    );
    for (const [name, bytes] of rows) process.stderr.write(`  ${String(mb(bytes)).padStart(6)} MB  ${name}\n`);
    console.log(
      JSON.stringify({
        case: 'package-size',
        tarballBytes,
        nodeModulesMB: mb(totalBytes),
        nodeModulesDiskMB: mb(diskBytes),
        targetMB: TARGET_MB,
        meetsTarget: totalBytes <= TARGET_MB * 1024 * 1024,
        groups: Object.fromEntries(rows.map(([k, v]) => [k, mb(v)])),
      }),
    );
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
