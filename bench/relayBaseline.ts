/**
 * Benchmark: the relay's small-event rate at this commit against a baseline
 * commit, in the same run. The machine is shared and its speed drifts by 2x
 * within an hour, so figures from different runs cannot be compared; this one
 * alternates the two versions (baseline, current, baseline, current, ...) so
 * drift hits both alike, and prints the ratio of their medians.
 *
 * The baseline's files are taken with `git archive` into a temporary folder
 * (node_modules linked in; the repository itself is not touched) and its own
 * bench/relayThroughput.ts is run there, against its own schema in a database
 * of its own. Default baseline: the commit before the relay's claims moved out
 * of the outbox rows (the parent of the commit that added the relay_claims
 * migration), i.e. per-event lease writes.
 *
 *   npx tsx bench/relayBaseline.ts [--baseline <rev>] [--rounds 2] [--small 50000] [--workers 4]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fixed, markdownTable } from './support/stats.js';

const root = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string' },
    rounds: { type: 'string', default: '2' },
    small: { type: 'string', default: '50000' },
    workers: { type: 'string', default: '4' },
  },
});

function git(...argv: string[]): string {
  const run = spawnSync('git', argv, { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`git ${argv.join(' ')}: ${run.stderr.trim()}`);
  return run.stdout.trim();
}

/** The parent of the commit that added the relay_claims migration (the per-event lease design). */
function defaultBaseline(): string {
  const added = git('log', '--diff-filter=A', '--format=%H', '--', 'src/postgres/migrations/*_relay_claims.sql')
    .split('\n')
    .filter(Boolean)
    .at(-1);
  if (!added) throw new Error('no commit adds a *_relay_claims.sql migration; pass --baseline <rev>');
  return `${added}^`;
}

function extractBaseline(rev: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-relay-baseline-'));
  const archive = spawnSync('git', ['archive', '--format=tar', rev], { cwd: root, maxBuffer: 512 * 1024 * 1024 });
  if (archive.status !== 0) throw new Error(`git archive ${rev}: ${archive.stderr.toString().trim()}`);
  const untar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`tar: ${untar.stderr.toString().trim()}`);
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

interface Measurement {
  version: 'baseline' | 'current';
  eventsPerSecond: number;
  load: string;
}

/** Runs one tree's relayThroughput.ts for small events only and reads its events/s. */
function measure(version: Measurement['version'], dir: string): Measurement {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/relayThroughput.ts', '--small', args.small, '--large', '4', '--workers', args.workers],
    { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.status !== 0) throw new Error(`${version} run failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  // The drain table's row: | small | <workers> | <drained> | <seconds> | <events/s> | ...
  const row = run.stdout
    .split('\n')
    .map((line) => line.split('|').map((c) => c.trim()))
    .find((cells) => cells[1] === 'small' && cells[2] === args.workers);
  if (!row) throw new Error(`${version} run printed no small/${args.workers} row:\n${run.stdout}`);
  return { version, eventsPerSecond: Number(row[5]), load };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function main(): void {
  const rev = args.baseline ?? defaultBaseline();
  const baselineCommit = git('rev-parse', '--short', rev);
  const currentCommit = git('rev-parse', '--short', 'HEAD');
  const dir = extractBaseline(rev);
  process.stdout.write(
    `relay small-event rate, ${args.workers} workers, ${args.small} events (100 per transaction), counting target after a ` +
      `modeled 20 ms round trip (no Convex): baseline ${baselineCommit} against the working tree at ${currentCommit}, ` +
      `${args.rounds} alternating rounds; ${os.availableParallelism()} cores, load average at the start ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n\n`,
  );
  const results: Measurement[] = [];
  try {
    for (let round = 0; round < Number(args.rounds); round++) {
      results.push(measure('baseline', dir));
      results.push(measure('current', root));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    markdownTable(
      ['round', 'version', 'events/s', 'load average before (1/5/15 min)'],
      results.map((r, i) => [String(Math.floor(i / 2) + 1), r.version, fixed(r.eventsPerSecond, 0), r.load]),
    ),
  );
  const base = median(results.filter((r) => r.version === 'baseline').map((r) => r.eventsPerSecond));
  const current = median(results.filter((r) => r.version === 'current').map((r) => r.eventsPerSecond));
  const ratio = current / base;
  process.stdout.write(
    `\nmedian: baseline ${fixed(base, 0)} events/s, current ${fixed(current, 0)} events/s, ratio ${fixed(ratio, 2)}x\n` +
      `Target: >= 1.5x the baseline's small-event rate with ${args.workers} workers -> ${ratio >= 1.5 ? 'MET' : 'NOT MET'}\n`,
  );
}

main();
