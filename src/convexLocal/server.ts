/**
 * A LOCAL STAND-IN FOR CONVEX, NOT CONVEX. It serves the subset of a Convex
 * deployment's HTTP API that the official client's ConvexHttpClient uses
 * (`POST /api/query`, `/api/mutation`, `/api/action`, JSON-encoded Convex
 * values), and runs the functions of a Convex folder (any app's; this
 * project's convex/ by default) in-process with convex-test (Convex's limits
 * switched on). It accepts only the admin key it
 * was given, persists acknowledged mutations (see writeAheadLog.ts), and can
 * inject faults. What it cannot tell you: real Convex throughput, latency,
 * write conflicts or index performance.
 */
import crypto from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { convexToJson, jsonToConvex, type Value } from 'convex/values';
import type { Logger } from '../log.js';
import { createConvexExecutor, type FunctionExecutor, type FunctionKind } from './executor.js';
import { drawFault, NO_FAULTS, validateFaults, type FaultOptions } from './faults.js';
import { functionErrorBody, STATUS_UDF_FAILED } from './functionErrors.js';
import { WriteAheadLog } from './writeAheadLog.js';


export interface LocalConvexOptions {
  dataDir: string;
  adminKey: string;
  /** The Convex functions folder to serve (default: this project's convex/). */
  convexDir?: string;
  faults?: Partial<FaultOptions>;
  logger: Logger;
  /** How long an unanswered ("timed out") request is held before its socket is closed. */
  timeoutHoldMs?: number;
  random?: () => number;
}

interface CallBody {
  path?: unknown;
  args?: unknown;
  format?: unknown;
}

/** What the stand-in did with mutation requests, by injected fault. */
export interface LocalConvexStats {
  mutations: number;
  failed: number;
  timedOut: number;
  dropped: number;
}

export interface LocalConvex {
  app: FastifyInstance;
  stats: LocalConvexStats;
  /** Mutations replayed from the data dir at start. */
  replayed: number;
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
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
  const wal = new WriteAheadLog(options.dataDir);
  const replay = wal.readAll();
  for (const entry of replay) {
    await executor.call('mutation', entry.path, jsonToConvex(entry.args as never) as Record<string, unknown>);
  }
  const held = new Set<NodeJS.Timeout>();
  const stats: LocalConvexStats = { mutations: 0, failed: 0, timedOut: 0, dropped: 0 };
  // Mutations run one at a time, so the log order is the execution order.
  let mutationChain: Promise<unknown> = Promise.resolve();

  const app = Fastify({ loggerInstance: options.logger, bodyLimit: 64 * 1024 * 1024 }) as unknown as FastifyInstance;

  function authorized(request: FastifyRequest): boolean {
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Convex ')) return false;
    const token = header.slice('Convex '.length).split(':')[0]!;
    return safeEqual(token, options.adminKey);
  }

  async function execute(kind: FunctionKind, path: string, args: Record<string, unknown>): Promise<unknown> {
    if (kind !== 'mutation') return executor.call(kind, path, args);
    const run = mutationChain.then(async () => {
      const value = await executor.call(kind, path, args);
      wal.append({ path, args: convexToJson(args as Value) });
      return value;
    });
    mutationChain = run.catch(() => undefined);
    return run;
  }

  function hold(reply: FastifyReply): void {
    reply.hijack();
    const timer = setTimeout(() => {
      held.delete(timer);
      reply.raw.socket?.destroy();
    }, options.timeoutHoldMs ?? 60_000);
    held.add(timer);
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
    const fault = kind === 'mutation' ? drawFault(faults, random) : 'none';
    if (kind === 'mutation') stats.mutations += 1;
    if (fault === 'fail') {
      stats.failed += 1;
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
    replayed: replay.length,
    async listen(port, host) {
      await app.listen({ port, host });
      const address = app.server.address();
      return typeof address === 'object' && address ? `http://${host}:${address.port}` : `http://${host}:${port}`;
    },
    async close() {
      for (const timer of held) clearTimeout(timer);
      await app.close();
      await mutationChain;
      wal.close();
    },
  };
}
