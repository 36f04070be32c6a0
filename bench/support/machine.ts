/** What a benchmark ran on, printed with its figures so they can be compared. */
import fs from 'node:fs';
import os from 'node:os';
import type { Queryable } from '../../src/postgres/database.js';

export interface MachineInfo {
  date: string;
  cores: number;
  cpuModel: string;
  ramGiB: number;
  postgres: string;
  node: string;
  loadAverage: string;
}

function cpuModel(): string {
  try {
    const line = fs
      .readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
}

export async function describeMachine(db: Queryable): Promise<MachineInfo> {
  const { rows } = await db.query<{ version: string }>('SELECT version() AS version');
  return {
    date: new Date().toISOString(),
    cores: os.availableParallelism(),
    cpuModel: cpuModel(),
    ramGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    postgres: rows[0]!.version.split(' on ')[0] ?? rows[0]!.version,
    node: process.version,
    loadAverage: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

/** `where`: the server the benchmark ran against, when it is not the shared one. */
export function printMachine(info: MachineInfo, where = '127.0.0.1:5432 (a dedicated database per run)'): void {
  process.stdout.write(
    [
      `date: ${info.date}`,
      `machine: ${info.cores} cores (${info.cpuModel}), ${info.ramGiB} GiB RAM`,
      `postgres: ${info.postgres} on ${where}`,
      `node: ${info.node}`,
      `load average before the run (1/5/15 min): ${info.loadAverage}`,
      '',
    ].join('\n'),
  );
}
