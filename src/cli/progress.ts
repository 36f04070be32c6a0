/**
 * Per-table progress for long-running commands: a bar per table with rows,
 * rate and ETA on a terminal; on anything else (logs, CI) plain lines, one
 * when a table starts, at most one every `plainEveryMs` while it runs, and one
 * when it ends.
 */
import cliProgress from 'cli-progress';

export interface TableProgress {
  start(table: string, done: number, total: number): void;
  update(table: string, done: number, total: number): void;
  finish(table: string, done: number): void;
  /** A one-line remark about a table (skipped, stopped). */
  note(table: string, text: string): void;
  stop(): void;
}

interface Tracked {
  startedAt: number;
  startDone: number;
  lastLine: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function rateOf(t: Tracked, done: number): number {
  const seconds = (performance.now() - t.startedAt) / 1000;
  return seconds > 0 ? (done - t.startDone) / seconds : 0;
}

function plainProgress(command: string, stream: NodeJS.WritableStream, everyMs: number): TableProgress {
  const tracked = new Map<string, Tracked>();
  const write = (line: string) => stream.write(`tandem ${command}: ${line}\n`);
  return {
    start(table, done, total) {
      tracked.set(table, { startedAt: performance.now(), startDone: done, lastLine: performance.now() });
      write(done > 0 ? `${table} resuming at ${done}/${total} rows` : `${table} starting, ${total} rows`);
    },
    update(table, done, total) {
      const t = tracked.get(table);
      if (!t || performance.now() - t.lastLine < everyMs) return;
      t.lastLine = performance.now();
      const rate = rateOf(t, done);
      const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
      const eta = rate > 0 ? formatDuration((total - done) / rate) : '-';
      write(`${table} ${done}/${total} rows (${percent}%), ${Math.round(rate)} rows/s, ETA ${eta}`);
    },
    finish(table, done) {
      const t = tracked.get(table);
      const seconds = t ? (performance.now() - t.startedAt) / 1000 : 0;
      write(`${table} done, ${done} rows (${done - (t?.startDone ?? 0)} in this run, ${seconds.toFixed(1)}s)`);
    },
    note: (table, text) => write(`${table} ${text}`),
    stop() {},
  };
}

function barProgress(stream: NodeJS.WriteStream): TableProgress {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      hideCursor: true,
      clearOnComplete: false,
      format: '{table} {bar} {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}',
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, { bar: cliProgress.SingleBar; tracked: Tracked }>();
  const width = 14;
  return {
    start(table, done, total) {
      const bar = multi.create(Math.max(total, done), done, { table: table.padEnd(width), rate: 0 });
      bars.set(table, { bar, tracked: { startedAt: performance.now(), startDone: done, lastLine: 0 } });
    },
    update(table, done, total) {
      const entry = bars.get(table);
      if (!entry) return;
      entry.bar.setTotal(Math.max(total, done));
      entry.bar.update(done, { rate: Math.round(rateOf(entry.tracked, done)) });
    },
    finish(table, done) {
      const entry = bars.get(table);
      if (!entry) return;
      // total 0 (an empty table) shows as complete
      entry.bar.setTotal(done);
      entry.bar.update(done, { rate: Math.round(rateOf(entry.tracked, done)) });
      entry.bar.stop();
    },
    note: (table, text) => multi.log(`${table} ${text}\n`),
    stop: () => multi.stop(),
  };
}

export function tableProgress(command: string, stream: NodeJS.WriteStream = process.stderr, plainEveryMs = 10_000): TableProgress {
  return stream.isTTY ? barProgress(stream) : plainProgress(command, stream, plainEveryMs);
}
