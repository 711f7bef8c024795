/**
 * The admin server (express; off the hot path): /metrics, /healthz, /readyz, POST /-/reload,
 * plus whatever routers the composition root mounts (report, status page).
 */
import express, { type Router } from 'express';
import type { Server } from 'node:http';
import { once } from 'node:events';
import type { Logger } from 'pino';
import type { Registry } from '../metrics/metrics.js';
import type { HostPort } from '../config/types.js';
import { scrape } from '../metrics/exposition.js';

export interface AdminDeps {
  listen: HostPort;
  registry: Registry;
  log: Logger;
  /** Ready = listening and not shutting down; `warnings` are shown in /readyz (e.g. insecure TLS). */
  readiness(): { ready: boolean; warnings: string[]; upstream: string | null };
  reload(): Promise<{ ok: boolean; error?: string }>;
  routers?: Router[];
}

export interface AdminServer {
  url: string;
  close(): Promise<void>;
}

export async function createAdminServer(deps: AdminDeps): Promise<AdminServer> {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/metrics', async (req, res, next) => {
    try {
      const { body, contentType } = await scrape(deps.registry, req.get('accept'));
      res.type(contentType).send(body);
    } catch (err) {
      next(err);
    }
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const state = deps.readiness();
    res.status(state.ready ? 200 : 503).json({ status: state.ready ? 'ready' : 'not ready', upstream: state.upstream, warnings: state.warnings });
  });
  app.post('/-/reload', async (_req, res) => {
    const result = await deps.reload();
    res.status(result.ok ? 200 : 400).json(result);
  });
  for (const router of deps.routers ?? []) app.use(router);
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    deps.log.error({ err }, 'admin request failed');
    res.status(500).json({ error: 'internal error' });
  });

  const server: Server = app.listen(deps.listen.port, deps.listen.host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : deps.listen.port;
  const host = deps.listen.host.includes(':') ? `[${deps.listen.host}]` : deps.listen.host;
  return {
    url: `http://${host}:${port}`,
    async close() {
      server.close();
      server.closeAllConnections();
      await once(server, 'close').catch(() => undefined);
    },
  };
}
