/**
 * How the page is served: `/` is the bundle's index.html with a policy that
 * allows nothing from another origin, its files come from /dashboard/, nothing
 * outside the bundle's folder is reachable, and without a build `/` says how
 * to make one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP, registerDashboard } from '../../src/dashboard/serveDashboard.js';

describe('registerDashboard', () => {
  const dirs: string[] = [];
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function serve(
    files: Record<string, string> | null,
  ): Promise<{ app: FastifyInstance; parent: string }> {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-dashboard-'));
    dirs.push(parent);
    const dir = path.join(parent, 'bundle');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(parent, 'secret.txt'), 'outside the bundle');
    for (const [name, text] of Object.entries(files ?? {}))
      fs.writeFileSync(path.join(dir, name), text);
    const app = Fastify();
    apps.push(app);
    await app.register(async (scope) => registerDashboard(scope, { dir }));
    await app.ready();
    return { app, parent };
  }

  it('serves index.html at / with a same-origin-only policy, and the bundle under /dashboard/', async () => {
    const { app } = await serve({
      'index.html': '<!doctype html><p>control room</p>',
      'main.js': 'export const x = 1;',
    });
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toBe('<!doctype html><p>control room</p>');
    expect(page.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(DASHBOARD_CSP).toContain("default-src 'self'");
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    const script = await app.inject({ method: 'GET', url: '/dashboard/main.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.body).toBe('export const x = 1;');
  });

  it('never serves a file outside the bundle', async () => {
    const { app } = await serve({ 'index.html': 'x' });
    for (const url of [
      '/dashboard/../secret.txt',
      '/dashboard/%2e%2e/secret.txt',
      '/dashboard/..%2fsecret.txt',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect({
        url,
        status: res.statusCode,
        leaked: res.body.includes('outside the bundle'),
      }).toEqual({ url, status: 404, leaked: false });
    }
  });

  it('without a build, / answers 503 naming the command that builds it', async () => {
    const { app } = await serve(null);
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      error: {
        code: 'dashboard_not_built',
        message: expect.stringContaining('run npm run build') as unknown as string,
      },
    });
  });
});
