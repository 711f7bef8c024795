/**
 * The histogram bounds (seconds) of the exported metrics. Apart from metrics.ts so that readers of
 * the exported series (the report's per-gateway histogram, the fleet report reading `le` labels)
 * share the bounds without loading prom-client.
 */

/** Time to response headers: 5 ms to 30 s (Cassia connects may take up to 20 s). */
export const REQUEST_DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30];
/** Streams live for minutes to days. */
export const STREAM_DURATION_BUCKETS: readonly number[] = [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400];
/** Gateway timestamp to proxy receipt. */
export const EVENT_DELAY_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
