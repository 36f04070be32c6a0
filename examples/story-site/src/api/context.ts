/** What the story site's route modules share: the data layer's seams and the read paths of the request's caller. */
import type { FastifyRequest } from 'fastify';
import type { Actor, AppDeps } from '../app/ports.js';
import type { ReadPaths } from '../app/reads/types.js';
import type { StorySiteWrites } from '../app/writes/routing.js';

export interface ApiContext {
  deps: AppDeps;
  /** The read paths for this request's caller (routed between Postgres and Convex when the server routes reads). */
  reads: (request: FastifyRequest) => ReadPaths;
  /** The write paths for this request (routed between Postgres and Convex by write stage when the server routes writes). */
  writes: (request: FastifyRequest) => StorySiteWrites;
}

/** The shape of every write path in app/writes. */
export type WritePath<R> = (deps: AppDeps, actor: Actor, input: unknown) => Promise<R>;
