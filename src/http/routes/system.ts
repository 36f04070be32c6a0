/** Liveness, readiness and the OpenAPI document. */
import type { FastifyInstance } from 'fastify';
import { toolObjectLiteral, type ToolSchema } from '../../core/toolSchema.js';
import type pg from 'pg';
import { TargetUnavailableError } from '../../core/errors.js';
import { outboxLag } from '../../outbox/outboxStore.js';
import { addRoute } from '../routeKit.js';
import { systemResponses as responses } from '../schemas.js';

export interface Readiness {
  ok: boolean;
  database: 'ok' | 'unavailable';
  /**
   * The mirror's state when the tool's schema is installed: changes not yet
   * applied to Convex and the age of the oldest (lag). Null otherwise.
   */
  mirror: { pending: number; oldestPendingSeconds: number } | null;
  /**
   * Whether Convex answers, when the process has a Convex target; null when it
   * has none. Reported, not part of `ok`: writes go to Postgres and the outbox
   * holds them through a Convex outage, so an instance stays in service.
   */
  convex: 'ok' | 'unavailable' | null;
}

/** Asks Convex something cheap; throws when it cannot be reached (or refuses the key). */
export type ConvexProbe = () => Promise<unknown>;

/** How long readiness waits for Postgres before calling it unavailable. */
const READINESS_TIMEOUT_MS = 2_000;

class NoAnswerInTime extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswerInTime(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Postgres answers, and, when capture is installed, how far behind the mirror is; and whether Convex answers. */
export async function databaseReadiness(pool: pg.Pool, tool: ToolSchema, convexProbe?: ConvexProbe): Promise<Readiness> {
  const [database, convex] = await Promise.all([
    withTimeout(
      (async () => {
        const { rows } = await pool.query<{ installed: boolean }>(
          `SELECT to_regclass(${toolObjectLiteral(tool, 'outbox')}) IS NOT NULL AS installed`,
        );
        return rows[0]?.installed ? await outboxLag(pool, tool) : null;
      })(),
      READINESS_TIMEOUT_MS,
    ).then(
      (mirror) => ({ ok: true as const, mirror }),
      () => ({ ok: false as const, mirror: null }),
    ),
    convexProbe
      ? withTimeout(convexProbe(), READINESS_TIMEOUT_MS).then(
          () => 'ok' as const,
          // Any other error is an answer (a function error, an unknown table): Convex is reachable.
          (err: unknown) => (err instanceof TargetUnavailableError || err instanceof NoAnswerInTime ? ('unavailable' as const) : ('ok' as const)),
        )
      : Promise.resolve(null),
  ]);
  return { ok: database.ok, database: database.ok ? 'ok' : 'unavailable', mirror: database.mirror, convex };
}

export function systemRoutes(app: FastifyInstance, readiness: () => Promise<Readiness>): void {
  addRoute(app, {
    method: 'GET',
    url: '/healthz',
    access: 'anonymous',
    tag: 'system',
    summary: 'Liveness: the process answers, with how long it has run and its memory (the database is not checked)',
    response: responses.health,
    handler: async () => ({
      ok: true,
      uptimeSeconds: Math.round(process.uptime()),
      rssMiB: Math.round(process.memoryUsage.rss() / 1024 / 1024),
    }),
  });
  app.route({
    method: 'GET',
    url: '/readyz',
    config: { access: 'anonymous' },
    schema: {
      tags: ['system'],
      summary: 'Readiness: Postgres answers (503 with Retry-After when not), with the mirror backlog and whether Convex answers',
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
