/**
 * Which store answers each read request, and the `Tandem-Read-Source` header
 * that says so. Without routing every read is served by Postgres. With routing
 * (the read cutover's `routedReads`), each request gets read paths bound to its
 * caller, and the header is `convex` only when every read the request made was
 * served by Convex.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../app/ports.js';
import type { ReadPaths } from '../app/reads/types.js';

export const READ_SOURCE_HEADER = 'Tandem-Read-Source';

export type ReadSourceName = 'postgres' | 'convex';

/** Read paths for one caller; `onServed` hears which store answered each call. */
export type ReadRouting = (context: {
  user: Actor | null;
  onServed: (served: { source: ReadSourceName }) => void;
}) => ReadPaths;

const servedBy = new WeakMap<FastifyRequest, Set<ReadSourceName>>();
const bound = new WeakMap<FastifyRequest, ReadPaths>();

function record(request: FastifyRequest, source: ReadSourceName): void {
  const sources = servedBy.get(request) ?? new Set<ReadSourceName>();
  sources.add(source);
  servedBy.set(request, sources);
}

/** The read paths a request's handler uses, bound once per request. */
export function requestReads(
  reads: ReadPaths,
  routing: ReadRouting | undefined,
): (request: FastifyRequest) => ReadPaths {
  return (request) => {
    const known = bound.get(request);
    if (known) return known;
    const paths = routing
      ? routing({ user: request.actor, onServed: ({ source }) => record(request, source) })
      : withSource(reads, () => record(request, 'postgres'));
    bound.set(request, paths);
    return paths;
  };
}

/** The same read paths, noting each call. */
function withSource(reads: ReadPaths, note: () => void): ReadPaths {
  return new Proxy(reads, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        note();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** Adds the header to every response whose handler read something. */
export function installReadSourceHeader(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const sources = servedBy.get(request);
    if (sources && sources.size > 0)
      reply.header(READ_SOURCE_HEADER, sources.size === 1 && sources.has('convex') ? 'convex' : 'postgres');
    return payload;
  });
}
