/**
 * Serves the control-room page (the bundle `npm run build` writes to
 * dist/dashboard, from dashboard/) on an API server: the page at `/`, its
 * scripts and styles under `/dashboard/`. Everything the page loads comes from
 * here, and its Content-Security-Policy says so, so no CDN can slip in.
 * The page itself holds no data: it reads /api/control/* like any client.
 */
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { packagePath } from '../packageRoot.js';

/** Where the build writes the bundle (scripts/buildDashboard.mjs). */
export const DASHBOARD_DIST_DIR = packagePath('dist', 'dashboard');

/** The page's own origin for everything: scripts, styles, data; nothing inline runs. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface DashboardOptions {
  /** The built bundle (default DASHBOARD_DIST_DIR). */
  dir?: string;
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', DASHBOARD_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
}

/**
 * Registers `/` and `/dashboard/*`. Without a built bundle (running from the
 * sources before `npm run build`), `/` answers 503 naming the fix instead of a
 * bare 404.
 */
export async function registerDashboard(
  app: FastifyInstance,
  options: DashboardOptions = {},
): Promise<void> {
  const dir = options.dir ?? DASHBOARD_DIST_DIR;
  const index = path.join(dir, 'index.html');
  if (!fs.existsSync(index)) {
    app.get(
      '/',
      { schema: { hide: true }, config: { access: 'anonymous' } },
      async (_request, reply) =>
        reply.code(503).send({
          error: {
            code: 'dashboard_not_built',
            message: `the dashboard is not built (${index} is missing): run npm run build`,
          },
        }),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/dashboard/',
    index: false,
    list: false,
    setHeaders: (res) => {
      res.setHeader('x-content-type-options', 'nosniff');
    },
  });
  app.get(
    '/',
    { schema: { hide: true }, config: { access: 'anonymous' } },
    async (_request, reply) =>
      // Always revalidated, so a new build's page is picked up at once.
      securityHeaders(reply)
        .header('cache-control', 'no-cache')
        .sendFile('index.html', { cacheControl: false }),
  );
}
