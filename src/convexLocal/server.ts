/**
 * A LOCAL STAND-IN FOR CONVEX, NOT CONVEX. It serves the subset of a Convex
 * deployment's HTTP API that the official client's ConvexHttpClient uses
 * (`POST /api/query`, `/api/mutation`, `/api/action`, JSON-encoded Convex
 * values), and runs the functions of a Convex folder (any app's; this
 * project's convex/ by default) in-process with convex-test (Convex's limits
 * switched on). It accepts only the admin key it
 * was given, answers a call only once what it committed is on disk (snapshot
 * and log of effects, persistence.ts), and can inject faults. What it cannot tell you: real Convex throughput, latency,
 * write conflicts or index performance.
 */
import crypto from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { convexToJson, jsonToConvex, type Value } from 'convex/values';
import type { Logger } from '../log.js';
import { createConvexExecutor, type FunctionExecutor, type FunctionKind } from './executor.js';
import { drawFault, drawQueryFault, NO_FAULTS, validateFaults, type FaultOptions } from './faults.js';
import { functionErrorBody, STATUS_UDF_FAILED } from './functionErrors.js';
import { openPersistence, type CompactionOptions, type DurabilityStats } from './persistence.js';
import type { LoadReport } from './recovery.js';


export interface LocalConvexOptions {
  dataDir: string;
  adminKey: string;
  /** The app's Convex functions folder to serve. */
  convexDir: string;
  faults?: Partial<FaultOptions>;
  logger: Logger;
  /** How long an unanswered ("timed out") request is held before its socket is closed. */
  timeoutHoldMs?: number;
  random?: () => number;
  /** Aborting stops loading the data dir (createLocalConvex rejects with LoadAbortedError). */
  signal?: AbortSignal;
  /** When the log is folded into a new snapshot (persistence.ts). */
  compaction?: Partial<CompactionOptions>;
}

interface CallBody {
  path?: unknown;
  args?: unknown;
  format?: unknown;
}

/** What the stand-in did with mutation requests, by injected fault, and the queries it failed. */
export interface LocalConvexStats {
  mutations: number;
  failed: number;
  timedOut: number;
  dropped: number;
  failedQueries: number;
}

export interface LocalConvex {
  app: FastifyInstance;
  stats: LocalConvexStats;
  /** What was loaded from the data dir at start. */
  loaded: LoadReport;
  listen(port: number, host: string): Promise<string>;
  durability(): DurabilityStats;
  /** Folds the log into a new snapshot now (it also happens by itself as the log grows). */
  compact(): Promise<void>;
  close(): Promise<void>;
}

/** A mutation queued when the stand-in began to stop: never run, so the client may retry it elsewhere. */
class StoppingError extends Error {
  constructor() {
    super('the local stand-in is stopping; the mutation was not run');
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export function generateAdminKey(): string {
  return `tandem-local|${crypto.randomBytes(24).toString('hex')}`;
}

export async function createLocalConvex(options: LocalConvexOptions): Promise<LocalConvex> {
  const faults = { ...NO_FAULTS, ...options.faults };
  validateFaults(faults);
  const random = options.random ?? Math.random;
  const executor: FunctionExecutor = await createConvexExecutor(options.convexDir, { logger: options.logger });
  const persistence = await openPersistence({
    dataDir: options.dataDir,
    backend: executor.backend,
    logger: options.logger,
    signal: options.signal,
    compaction: options.compaction,
    replayLegacy: async (path, args) => {
      await executor.call('mutation', path, jsonToConvex(args as never) as Record<string, unknown>);
    },
  });
  let closing = false;
  const held = new Map<NodeJS.Timeout, FastifyReply>();
  const stats: LocalConvexStats = { mutations: 0, failed: 0, timedOut: 0, dropped: 0, failedQueries: 0 };
  // Mutations run one at a time (as convex-test would anyway), each seeing the
  // one before; the log records them in that order.
  let mutationChain: Promise<unknown> = Promise.resolve();

  const app = Fastify({ loggerInstance: options.logger, bodyLimit: 64 * 1024 * 1024 }) as unknown as FastifyInstance;

  function authorized(request: FastifyRequest): boolean {
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Convex ')) return false;
    const token = header.slice('Convex '.length).split(':')[0]!;
    return safeEqual(token, options.adminKey);
  }

  /**
   * Runs a call and resolves once everything it may have seen or written is on
   * disk. The fsync wait is outside the chain, so the next mutation runs while
   * this one's fsync is in flight and its record joins the next group commit.
   */
  async function execute(kind: FunctionKind, path: string, args: Record<string, unknown>): Promise<unknown> {
    if (kind !== 'mutation') {
      const value = await executor.call(kind, path, args);
      await persistence.durable();
      return value;
    }
    const run = mutationChain.then(async () => {
      if (closing) throw new StoppingError();
      const value = await executor.call(kind, path, args);
      persistence.compactIfDue();
      return value;
    });
    mutationChain = run.catch(() => undefined);
    const value = await run;
    await persistence.durable();
    return value;
  }

  function hold(reply: FastifyReply): void {
    reply.hijack();
    const timer = setTimeout(() => {
      held.delete(timer);
      reply.raw.socket?.destroy();
    }, options.timeoutHoldMs ?? 60_000);
    held.set(timer, reply);
  }

  const handler = (kind: FunctionKind) => async (request: FastifyRequest, reply: FastifyReply) => {
    if (!authorized(request)) {
      return reply.code(401).send({ code: 'Unauthenticated', message: 'admin key required (local stand-in)' });
    }
    const body = (request.body ?? {}) as CallBody;
    const rawArgs = Array.isArray(body.args) ? body.args[0] : body.args;
    if (typeof body.path !== 'string' || rawArgs === undefined) {
      return reply.code(400).send({ code: 'BadRequest', message: 'expected { path, args }' });
    }
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    const fault = kind === 'mutation' ? drawFault(faults, random) : kind === 'query' ? drawQueryFault(faults, random) : 'none';
    if (kind === 'mutation') stats.mutations += 1;
    if (fault === 'fail') {
      if (kind === 'query') stats.failedQueries += 1;
      else stats.failed += 1;
      return reply.code(500).send({ code: 'InternalServerError', message: 'injected failure' });
    }
    if (fault === 'drop-before' || fault === 'drop-after') stats.dropped += 1;
    if (fault === 'timeout') stats.timedOut += 1;
    if (fault === 'drop-before') {
      reply.hijack();
      reply.raw.socket?.destroy();
      return;
    }
    let value: unknown;
    try {
      value = await execute(kind, body.path, jsonToConvex(rawArgs as never) as Record<string, unknown>);
    } catch (err) {
      if (err instanceof StoppingError) {
        return reply.code(503).send({ code: 'ServiceUnavailable', message: err.message });
      }
      return reply.code(STATUS_UDF_FAILED).send(functionErrorBody(err, body.path));
    }
    if (fault === 'timeout') return hold(reply);
    if (fault === 'drop-after') {
      reply.hijack();
      reply.raw.socket?.destroy();
      return;
    }
    return reply.send({ status: 'success', value: convexToJson((value ?? null) as Value), logLines: [] });
  };

  app.post('/api/query', handler('query'));
  app.post('/api/mutation', handler('mutation'));
  app.post('/api/action', handler('action'));
  app.get('/version', async () => ({ server: 'tandem convex-local (a local stand-in, not Convex)' }));

  return {
    app,
    stats,
    loaded: persistence.loaded,
    async listen(port, host) {
      await app.listen({ port, host });
      const address = app.server.address();
      return typeof address === 'object' && address ? `http://${host}:${address.port}` : `http://${host}:${port}`;
    },
    durability: () => persistence.stats(),
    compact: () => persistence.compact(),
    async close() {
      closing = true;
      for (const [timer, reply] of held) {
        clearTimeout(timer);
        reply.raw.socket?.destroy();
      }
      // Keep-alive connections would hold close() open until the client drops
      // them; closing only idle ones never cuts an answer short.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 10);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
      await mutationChain;
      await persistence.close();
    },
  };
}
