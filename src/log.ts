import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stderr, so command output on stdout stays machine-readable. */
export function createLogger(level = 'info'): Logger {
  return pino({ level, base: undefined }, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
