/** One CLI command run as a benchmark step: its wall time, peak RSS and log, as a user would run it. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface Step {
  step: string;
  seconds: number;
  peakMiB: number;
  exitCode: number;
}

/** Runs `node <cli> …args` under /usr/bin/time (its %M is the peak RSS), its output into `<logDir>/<step>.log`. */
export function runCliStep(cli: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, logDir: string, step: string): Promise<Step> {
  const rssFile = path.join(logDir, `${step}.rss`);
  const out = fs.openSync(path.join(logDir, `${step}.log`), 'w');
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, process.execPath, cli, ...args], {
    cwd,
    env,
    stdio: ['ignore', out, out],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      fs.closeSync(out);
      const kib = Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop());
      resolve({ step, seconds: (performance.now() - started) / 1000, peakMiB: kib / 1024, exitCode: code ?? 1 });
    });
  });
}

/** The step, or an error carrying the end of its log when it failed: a benchmark of a failed command measures nothing. */
export function mustPass(s: Step, logDir: string): Step {
  if (s.exitCode !== 0) {
    const log = fs.readFileSync(path.join(logDir, `${s.step}.log`), 'utf8');
    throw new Error(`${s.step} exited ${s.exitCode}:\n${log.slice(-3000)}`);
  }
  return s;
}
