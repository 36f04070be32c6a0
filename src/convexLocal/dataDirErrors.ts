/** Why the stand-in refuses a data directory; each names the file (and offset) to look at. */
import { TandemError } from '../core/errors.js';

/** A snapshot or log file is damaged where a crash cannot have torn it: the stand-in does not start. */
export class CorruptDataError extends TandemError {
  readonly code = 'corrupt_data';
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(
      `${file} is damaged at byte offset ${offset}: ${reason}. The stand-in will not start on it rather than load part of it; ` +
        'restore the data directory from a copy, or move it away to start empty.',
    );
  }
}

/** Another stand-in that is still running holds the data directory. */
export class DataDirLockedError extends TandemError {
  readonly code = 'data_dir_locked';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`${dataDir} is in use by another running stand-in (pid ${pid}); stop it or use another --data-dir`);
  }
}

/** The start was stopped (SIGTERM, SIGINT) before the data was loaded; nothing was changed. */
export class LoadAbortedError extends TandemError {
  readonly code = 'load_aborted';
  constructor() {
    super('stopped while loading the data directory');
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LoadAbortedError();
}
