/**
 * `/metrics` for a process with no API server (a standalone `tandem relay`):
 * node's own HTTP server, Prometheus text from the registry, and `/healthz`
 * reporting the process (liveness: it answers without touching the
 * database, so a slow Postgres never makes a supervisor restart a healthy
 * relay). Bound to loopback unless told otherwise; the metrics carry table
 * names and counts, never keys, row values or credentials.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** What `/healthz` says about the process, besides `ok`, its pid and uptime. */
export type HealthReport = () => Record<string, unknown>;

export async function serveMetrics(
  registry: Registry,
  port: number,
  host = '127.0.0.1',
  health: HealthReport = () => ({}),
): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method === 'GET' && path === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: true, pid: process.pid, uptimeSeconds: Math.round(process.uptime()), ...health() }));
      return;
    }
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'not_found', message: 'only GET /metrics and GET /healthz are served here' } }));
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(text);
      },
      () => {
        // A gauge read from Postgres failed (database down): say so, without details.
        response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
        response.end(JSON.stringify({ error: { code: 'unavailable', message: 'metrics unavailable' } }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
