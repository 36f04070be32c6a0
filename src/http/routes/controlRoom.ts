/**
 * The control room's HTTP API under /api/control (docs/control-room-api.md).
 * Reads are open to anonymous callers; every change needs an admin token and
 * is audited with the token's user. Every body sent from here, errors and
 * live events included, passes through the secret redaction first.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../actor.js';
import type { ControlRoom } from '../../controlRoom/controlRoom.js';
import { discardBody, rollbackBody, setFlagBody } from '../../controlRoom/inputs.js';
import { redactJson } from '../../controlRoom/redact.js';
import { idParam } from '../params.js';
import { addRoute } from '../routeKit.js';
import { bodyFromInput, type JsonSchema } from '../schemas.js';

/** Seconds between SSE heartbeat comments (keeps proxies from closing an idle stream). */
export const SSE_HEARTBEAT_MS = 15_000;

export interface ControlRoomRouting {
  room: ControlRoom;
  /** Values never to appear in a response (tokens, keys, the database URL): see secretsOf. */
  secrets: readonly string[];
}

function actorName(actor: Actor): string {
  return `user ${actor.userId ?? '?'} (${actor.role}, control room)`;
}

function tableParam(request: FastifyRequest): string {
  return (request.params as { table: string }).table;
}

const anyObject = (description: string): JsonSchema => ({ type: 'object', description });

function liveEvents(app: FastifyInstance, { room, secrets }: ControlRoomRouting): void {
  // A stream never ends on its own: closing the server ends them, or it would wait on them forever.
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const stream of open) stream.end();
  });
  app.route({
    method: 'GET',
    url: '/api/control/events',
    config: { access: 'anonymous' },
    schema: {
      tags: ['control room'],
      summary:
        'Server-Sent Events: `event: overview` with the overview whenever it changes (checked every second), heartbeat comments',
      description: 'Open to anonymous callers.',
      security: [{}, { bearerAuth: [] }],
    },
    handler: async (request, reply) => {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // The SSE framing is three lines of text; a library would add a dependency for no gain.
      const send = (overview: unknown) =>
        raw.write(`event: overview\ndata: ${redactJson(JSON.stringify(overview), secrets)}\n\n`);
      raw.write(': connected\n\n');
      const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), SSE_HEARTBEAT_MS);
      const unsubscribe = await room.live.subscribe(send);
      open.add(raw);
      request.raw.on('close', () => {
        open.delete(raw);
        clearInterval(heartbeat);
        unsubscribe();
      });
    },
  });
}

export function controlRoomRoutes(app: FastifyInstance, routing: ControlRoomRouting): void {
  const { room, secrets } = routing;
  app.addHook('onSend', async (_request, _reply, payload) =>
    typeof payload === 'string' ? redactJson(payload, secrets) : payload,
  );
  const read = { method: 'GET', access: 'anonymous', tag: 'control room' } as const;
  const change = { method: 'POST', access: 'admin', tag: 'control room', writes: true } as const;
  addRoute(app, {
    ...read,
    url: '/api/control/overview',
    summary:
      'One row per mirrored table: phase, read stage, rows, success rate, latency, outbox, dead letters, drift',
    response: anyObject('{ generatedAt, tables: [...] }'),
    handler: () => room.overview(),
  });
  liveEvents(app, routing);
  addRoute(app, {
    ...read,
    url: '/api/control/series',
    summary: 'A metric over a window, per table (?metric=&window=15m|1h|6h|24h|7d&table=)',
    response: anyObject(
      '{ metric, window, stepSeconds, series: [{ table, points: [[ms, value|null]] }] }',
    ),
    handler: (req) => room.series(req.query),
  });
  addRoute(app, {
    ...read,
    url: '/api/control/checklist/:table',
    summary: "The table's phase and every gate of the plan with its evidence",
    params: { table: 'string' },
    response: anyObject('the checklist (tandem checklist --json)'),
    handler: (req) => room.checklist(tableParam(req)),
  });
  addRoute(app, {
    ...read,
    url: '/api/control/flags',
    summary: 'The read stages in order, and each table’s stage, percent and latest change',
    response: anyObject('{ stages, tables: [...] }'),
    handler: () => room.flags(),
  });
  addRoute(app, {
    ...change,
    url: '/api/control/flags/:table',
    summary: "Move a table's reads to a stage (audited)",
    params: { table: 'string' },
    body: bodyFromInput(setFlagBody),
    response: anyObject('the flags after the change'),
    handler: (req) => room.setFlag(tableParam(req), req.body, actorName(req.actor)),
  });
  addRoute(app, {
    ...change,
    url: '/api/control/flags/:table/rollback',
    summary: "Send a table's reads back to Postgres (audited)",
    params: { table: 'string' },
    body: bodyFromInput(rollbackBody),
    response: anyObject('the flags after the rollback'),
    handler: (req) => room.rollback(tableParam(req), req.body, actorName(req.actor)),
  });
  addRoute(app, {
    ...read,
    url: '/api/control/dead-letters',
    summary: 'Unresolved dead letters with reason, attempts and payload (?table=&limit=)',
    response: anyObject('{ deadLetters: [...] }'),
    handler: (req) => room.deadLetters(req.query),
  });
  addRoute(app, {
    ...change,
    url: '/api/control/dead-letters/:id/retry',
    summary: 'Put a dead letter back into the outbox (audited)',
    params: { id: 'integer' },
    response: anyObject('{ retried: [id] }'),
    handler: (req) => room.retryDeadLetter(idParam(req.params, 'id'), actorName(req.actor)),
  });
  addRoute(app, {
    ...change,
    url: '/api/control/dead-letters/:id/discard',
    summary: 'Mark a dead letter as not to be applied (audited)',
    params: { id: 'integer' },
    body: bodyFromInput(discardBody),
    response: anyObject('{ discarded: id }'),
    handler: (req) =>
      room.discardDeadLetter(idParam(req.params, 'id'), req.body, actorName(req.actor)),
  });
  addRoute(app, {
    ...read,
    url: '/api/control/history/parity',
    summary: 'Parity runs, newest first (?table=&limit=)',
    response: anyObject('{ runs: [...] }'),
    handler: (req) => room.parityHistory(req.query),
  });
  addRoute(app, {
    ...read,
    url: '/api/control/history/alerts',
    summary: 'Alert history, newest first (?limit=)',
    response: anyObject('{ alerts: [...] }'),
    handler: (req) => room.alertHistory(req.query),
  });
  addRoute(app, {
    ...read,
    url: '/api/control/audit',
    summary: 'Every audited change (audit log and read-stage history), newest first (?limit=)',
    response: anyObject('{ entries: [{ at, actor, action, target, detail }] }'),
    handler: (req) => room.audit(req.query),
  });
}
