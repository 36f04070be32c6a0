/** Health check and the OpenAPI document. */
import type { FastifyInstance } from 'fastify';
import { addRoute } from '../routeKit.js';
import { responses } from '../schemas.js';

export function systemRoutes(app: FastifyInstance): void {
  addRoute(app, {
    method: 'GET',
    url: '/healthz',
    access: 'anonymous',
    tag: 'system',
    summary: 'Liveness check',
    response: responses.ok,
    handler: async () => ({ ok: true }),
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
