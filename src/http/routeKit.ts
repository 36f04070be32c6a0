/**
 * One declaration per route: method, path, who may call it, its documented
 * parameters, body and response, and a handler returning the JSON result.
 * The declaration feeds both the router and the OpenAPI document, so the
 * document cannot omit a route or misstate its access.
 */
import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import type { Access } from './auth.js';
import type { JsonSchema } from './schemas.js';

export interface RouteSpec<R> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  access: Access;
  tag: string;
  summary: string;
  params?: Record<string, 'integer' | 'string'>;
  body?: JsonSchema;
  response: JsonSchema;
  /** Success status; 200 unless given (a function picks it from the result). */
  status?: number | ((result: R) => number);
  /** Routes that write can answer 409. */
  writes?: boolean;
  handler: (request: FastifyRequest) => Promise<R>;
}

const ERROR_REF = { $ref: 'ErrorEnvelope#' };

function errorResponses(spec: RouteSpec<unknown>): Record<number, unknown> {
  const codes = [400, 401, 404, 500, 503];
  if (spec.access !== 'anonymous' || spec.writes) codes.push(403);
  if (spec.writes) codes.push(409);
  if (spec.body) codes.push(413, 415);
  return Object.fromEntries(
    codes
      .sort((a, b) => a - b)
      .map((code) => [code, { ...ERROR_REF, description: `error (${code})` }]),
  );
}

function paramsSchema(params: Record<string, 'integer' | 'string'>): JsonSchema {
  const properties = Object.fromEntries(
    Object.entries(params).map(([name, type]) => [
      name,
      type === 'integer' ? { type, minimum: 1 } : { type },
    ]),
  );
  return { type: 'object', properties, required: Object.keys(params) };
}

function accessNote(access: Access): string {
  return access === 'anonymous'
    ? 'Open to anonymous callers.'
    : `Requires a bearer token with role ${access} or higher.`;
}

function routeSchema(spec: RouteSpec<unknown>): FastifySchema {
  const success = typeof spec.status === 'number' ? spec.status : 200;
  const responses: Record<number, unknown> = {
    [success]: { ...spec.response, description: 'success' },
  };
  if (typeof spec.status === 'function')
    responses[201] = { ...spec.response, description: 'created' };
  return {
    tags: [spec.tag],
    summary: spec.summary,
    description: accessNote(spec.access),
    security: spec.access === 'anonymous' ? [{}, { bearerAuth: [] }] : [{ bearerAuth: [] }],
    ...(spec.params ? { params: paramsSchema(spec.params) } : {}),
    ...(spec.body ? { body: spec.body } : {}),
    response: { ...responses, ...errorResponses(spec) },
  } as FastifySchema;
}

export function addRoute<R>(app: FastifyInstance, spec: RouteSpec<R>): void {
  app.route({
    method: spec.method,
    url: spec.url,
    config: { access: spec.access },
    schema: routeSchema(spec as RouteSpec<unknown>),
    handler: async (request, reply) => {
      const result = await spec.handler(request);
      const status = typeof spec.status === 'function' ? spec.status(result) : (spec.status ?? 200);
      return reply.status(status).send(result);
    },
  });
}
