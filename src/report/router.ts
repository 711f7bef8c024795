/**
 * The report's HTTP surface on the admin server: `GET /api/gateways`, `GET /api/report` and the
 * status page at `GET /`. Every answer is computed fresh from the segment store.
 */
import { Router, type Request, type Response } from 'express';
import { renderStatusPage } from './html.js';
import type { GatewayReport, TransportReport } from './types.js';

/** What the router needs from the report. */
export interface ReportSource {
  gateways(): GatewayReport[];
  report(): TransportReport;
}

/** The page may only use its own inline style and inline SVG: nothing else loads, nothing runs. */
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Builds the express 5 router (async handlers: express 5 forwards rejections to `next`). */
export function createReportRouter(source: ReportSource): Router {
  const router = Router();
  router.get('/api/gateways', (_req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store').json({ gateways: source.gateways() });
  });
  router.get('/api/report', (_req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store').json(source.report());
  });
  router.get('/', (_req: Request, res: Response) => {
    const html = renderStatusPage(source.report(), source.gateways());
    res
      .set('Cache-Control', 'no-store')
      .set('Content-Security-Policy', PAGE_CSP)
      .set('X-Content-Type-Options', 'nosniff')
      .type('html')
      .send(html.toString());
  });
  return router;
}
