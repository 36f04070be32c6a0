/**
 * Which store wrote for each write request, and the `Tandem-Write-Source`
 * header that says so (the write-side twin of `Tandem-Read-Source`). Without
 * a write router every write is Postgres's. With one (the write cutover), each
 * route's write runs where its write group's stage says, and the header names
 * the store that was the writer: `convex` at stage `convex`, `postgres` at
 * `postgres` and at `convex-shadow` (there Postgres answers; Convex is only
 * compared).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  postgresWrites,
  type StorySiteWriteRouter,
  type StorySiteWrites,
  type WriteStore,
} from '../app/writes/routing.js';

export const WRITE_SOURCE_HEADER = 'Tandem-Write-Source';

const wroteWith = new WeakMap<FastifyRequest, Set<WriteStore>>();

/** The write paths a request's handler calls: routed when a router is given, else Postgres's. */
export function requestWrites(
  router: StorySiteWriteRouter | undefined,
): (request: FastifyRequest) => StorySiteWrites {
  const paths = router ? router.writes : postgresWrites;
  return (request) => {
    const note = (store: WriteStore) => {
      const stores = wroteWith.get(request) ?? new Set<WriteStore>();
      stores.add(store);
      wroteWith.set(request, stores);
    };
    return new Proxy(paths, {
      get(target, property, receiver) {
        const write = Reflect.get(target, property, receiver) as unknown;
        if (typeof write !== 'function') return write;
        return (...args: unknown[]) =>
          (write as (...a: unknown[]) => unknown)(args[0], args[1], args[2], note);
      },
    }) as StorySiteWrites;
  };
}

/** Adds the header to every response whose handler wrote (or tried to). */
export function installWriteSourceHeader(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const stores = wroteWith.get(request);
    if (stores && stores.size > 0)
      reply.header(WRITE_SOURCE_HEADER, stores.size === 1 ? [...stores][0]! : 'mixed');
    return payload;
  });
}
