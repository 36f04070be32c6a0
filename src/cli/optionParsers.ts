/** Parsers for numeric command-line options, shared by every command (commander reports their message). */
import { InvalidArgumentError } from 'commander';
import { InvalidInputError } from '../index.js';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('not a TCP port');
  return port;
}

/** A whole number in [min, max]; `what` replaces the default description in the error. */
export function wholeNumber(min = 1, max = Number.POSITIVE_INFINITY, what?: string) {
  const description =
    what ??
    (max === Number.POSITIVE_INFINITY
      ? `a whole number >= ${min}`
      : `a whole number from ${min} to ${max}`);
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(description);
    return n;
  };
}

/** A finite number greater than zero. */
export function positiveNumber(what = 'a positive number') {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(what);
    return n;
  };
}

/** A number in [min, max]. */
export function numberBetween(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`a number from ${min} to ${max}`);
    return n;
  };
}

/** An ISO 8601 time (`--now` for drills and tests that move the clock). */
export function instant(value: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime()))
    throw new InvalidArgumentError('an ISO 8601 time, e.g. 2025-01-31T12:00:00Z');
  return at;
}

/**
 * A dead letter's id, checked inside an action (not as commander's argument
 * parser), so a bad id is the CLI's usual `tandem: id: …` with exit 2.
 */
export function deadLetterId(value: string): number {
  const id = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(id) || id < 1)
    throw new InvalidInputError('id', `a dead-letter id is a whole number >= 1 (got ${JSON.stringify(value)})`);
  return id;
}
