/**
 * `routedReads`: one read-path interface with a Postgres and a Convex
 * implementation, wrapped into one whose every call goes through a Reader.
 */
import { InvalidInputError } from '../core/errors.js';
import type { ReadDecision } from './decide.js';
import type { Reader, ReadSource } from './reader.js';
import type { ShadowComparator } from './shadowClassify.js';
import { checkSampleRate } from './shadowLimits.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the parameters of any application's read methods
type AsyncMethod = (...args: any[]) => Promise<unknown>;

/** A read-path interface: every member a method returning a promise. */
export type ReadMethods<P> = { [K in keyof P]: AsyncMethod };

export interface RoutedReadsSpec<P extends ReadMethods<P>> {
  postgres: P;
  convex: P;
  /** The tables each method reads (or a function of its arguments). */
  tables: { [K in keyof P]: readonly string[] | ((...args: Parameters<P[K]>) => readonly string[]) };
  normalize?: { [K in keyof P]?: (value: Awaited<ReturnType<P[K]>>) => unknown };
  /** A comparison with a stated tolerance, per method (see ReadRequest.compare). */
  compare?: { [K in keyof P]?: ShadowComparator<Awaited<ReturnType<P[K]>>> };
  /** A shadow sample rate per method (see ReadRequest.sampleRate). */
  sampleRate?: { [K in keyof P]?: number };
}

export interface ServedRead {
  method: string;
  source: ReadSource;
  decision: ReadDecision;
}

/**
 * Wraps two implementations of one read-path interface (Postgres and Convex)
 * into one that routes every call through the reader. Called per request with
 * the user, it returns the same interface; `onServed` hears which store served
 * each call (to set a response header).
 */
export function routedReads<P extends ReadMethods<P>, U>(
  reader: Reader<U>,
  spec: RoutedReadsSpec<P>,
): (context: { user?: U | null; onServed?: (served: ServedRead) => void }) => P {
  for (const [method, rate] of Object.entries(spec.sampleRate ?? {})) {
    if (!Object.hasOwn(spec.tables, method))
      throw new InvalidInputError(`sampleRate.${method}`, 'names no read method of this spec (none in its tables)');
    checkSampleRate(rate as number, `sampleRate.${method}`);
  }
  return ({ user, onServed }) => {
    const routed: Record<string, unknown> = {};
    for (const method of Object.keys(spec.tables) as Array<keyof P & string>) {
      const tablesOf = spec.tables[method];
      routed[method] = async (...args: Parameters<P[typeof method]>) => {
        const tables: readonly string[] =
          typeof tablesOf === 'function' ? tablesOf(...args) : (tablesOf as readonly string[]);
        const result = await reader.read({
          name: method,
          tables,
          user,
          postgres: () => spec.postgres[method](...args),
          convex: () => spec.convex[method](...args),
          normalize: spec.normalize?.[method] as ((v: unknown) => unknown) | undefined,
          compare: spec.compare?.[method] as ShadowComparator<unknown> | undefined,
          sampleRate: spec.sampleRate?.[method],
        });
        onServed?.({ method, source: result.source, decision: result.decision });
        return result.value;
      };
    }
    return routed as P;
  };
}
