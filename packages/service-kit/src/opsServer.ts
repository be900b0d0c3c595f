import http from 'node:http';
import { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';

export interface HealthReport {
  /** False when the process should be restarted. */
  live: boolean;
  /** False when it should get no traffic (e.g. its broker is unreachable). */
  ready: boolean;
  details?: Record<string, unknown>;
}

export interface OpsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  health: () => HealthReport;
}

export interface OpsServer {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * Serves `/metrics` (Prometheus text), `/health` (both checks with details),
 * `/health/live` and `/health/ready` (for Kubernetes probes).
 */
export async function startOpsServer(
  options: OpsServerOptions,
): Promise<OpsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      options.registry.metrics().then(
        text => {
          res.writeHead(200, { 'content-type': options.registry.contentType });
          res.end(text);
        },
        err => sendJson(res, 500, { error: String(err) }),
      );
      return;
    }
    if (req.method === 'GET' && path.startsWith('/health')) {
      const report = options.health();
      let ok = report.live && report.ready;
      if (path === '/health/live') ok = report.live;
      if (path === '/health/ready') ok = report.ready;
      sendJson(res, ok ? 200 : 503, {
        status: ok ? 'ok' : 'unavailable',
        ...report,
      });
      return;
    }
    sendJson(res, 404, { error: `no route ${path}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
