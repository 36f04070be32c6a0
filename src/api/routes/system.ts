/** Liveness, readiness and the OpenAPI document. */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { outboxLag } from '../../relay/outboxStore.js';
import { addRoute } from '../routeKit.js';
import { responses } from '../schemas.js';

export interface Readiness {
  ok: boolean;
  database: 'ok' | 'unavailable';
  /**
   * The mirror's state when the tool's schema is installed: changes not yet
   * applied to Convex and the age of the oldest (lag). Null otherwise.
   */
  mirror: { pending: number; oldestPendingSeconds: number } | null;
}

/** How long readiness waits for Postgres before calling it unavailable. */
const READINESS_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Postgres answers, and, when capture is installed, how far behind the mirror is. */
export async function databaseReadiness(pool: pg.Pool): Promise<Readiness> {
  try {
    return await withTimeout(
      (async (): Promise<Readiness> => {
        const { rows } = await pool.query<{ installed: boolean }>(
          "SELECT to_regclass('tandem.outbox') IS NOT NULL AS installed",
        );
        const mirror = rows[0]?.installed ? await outboxLag(pool) : null;
        return { ok: true, database: 'ok', mirror };
      })(),
      READINESS_TIMEOUT_MS,
    );
  } catch {
    return { ok: false, database: 'unavailable', mirror: null };
  }
}

export function systemRoutes(app: FastifyInstance, readiness: () => Promise<Readiness>): void {
  addRoute(app, {
    method: 'GET',
    url: '/healthz',
    access: 'anonymous',
    tag: 'system',
    summary: 'Liveness: the process answers (the database is not checked)',
    response: responses.ok,
    handler: async () => ({ ok: true }),
  });
  app.route({
    method: 'GET',
    url: '/readyz',
    config: { access: 'anonymous' },
    schema: {
      tags: ['system'],
      summary: 'Readiness: Postgres answers (503 with Retry-After when not), with the mirror backlog',
      description: 'Open to anonymous callers.',
      security: [{}, { bearerAuth: [] }],
      response: {
        200: { ...responses.readiness, description: 'ready' },
        503: { ...responses.readiness, description: 'not ready' },
        ...Object.fromEntries(
          [400, 401, 404, 500].map((code) => [code, { $ref: 'ErrorEnvelope#', description: `error (${code})` }]),
        ),
      },
    },
    handler: async (_request, reply) => {
      const state = await readiness();
      if (!state.ok) reply.header('retry-after', '5');
      return reply.status(state.ok ? 200 : 503).send(state);
    },
  });
  addRoute(app, {
    method: 'GET',
    url: '/api/openapi.json',
    access: 'anonymous',
    tag: 'system',
    summary: 'This OpenAPI document',
    response: { type: 'object', description: 'OpenAPI 3 document' },
    handler: async () => app.swagger(),
  });
}
