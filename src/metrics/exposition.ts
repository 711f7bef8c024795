/**
 * Serialises the registry for a scrape. prom-client can emit OpenMetrics only by renaming its
 * counters in place (it strips `_total` from `metric.name` and never puts it back), which would
 * break the Prometheus-format names for every later scrape; so OpenMetrics is derived here from
 * the Prometheus text instead: counter families lose the `_total` suffix in HELP/TYPE (samples
 * keep it), blank lines go, and `# EOF` ends the exposition.
 */
import type { Registry } from 'prom-client';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** True when the Accept header prefers OpenMetrics (Prometheus asks for it first by default). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('application/openmetrics-text');
}

/** Converts Prometheus text exposition format 0.0.4 to OpenMetrics 1.0. */
export function toOpenMetrics(text: string): string {
  const lines = text.split('\n');
  const counters = new Set<string>();
  for (const line of lines) {
    const m = /^# TYPE (\S+) counter$/.exec(line);
    if (m?.[1]) counters.add(m[1]);
  }
  const out: string[] = [];
  for (const line of lines) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(.*)$/.exec(line);
    if (meta && counters.has(meta[2] as string) && (meta[2] as string).endsWith('_total')) {
      out.push(`# ${meta[1]} ${(meta[2] as string).slice(0, -'_total'.length)}${meta[3]}`);
    } else {
      out.push(line);
    }
  }
  out.push('# EOF', '');
  return out.join('\n');
}

/** The body and content type for a scrape with this Accept header. */
export async function scrape(registry: Registry, accept: string | undefined): Promise<{ body: string; contentType: string }> {
  const text = await registry.metrics();
  return wantsOpenMetrics(accept)
    ? { body: toOpenMetrics(text), contentType: OPENMETRICS_CONTENT_TYPE }
    : { body: text, contentType: PROMETHEUS_CONTENT_TYPE };
}
