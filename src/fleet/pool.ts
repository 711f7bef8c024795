/**
 * The fleet report's queries in flight: at most `limit` at once, urgent ones first. The report's
 * answer waits on a chain of rounds (which proxies restarted, then the range's counts, then the
 * minutes of the gateways that moved); everything off that chain (identity, charts, the window's
 * counts) is asked at low priority and fills the slots the chain leaves idle, so Prometheus is
 * kept busy without ever holding more than `limit` queries of ours.
 */
interface Queued {
  start(): void;
  refuse(error: unknown): void;
}

export class QueryPool {
  private running = 0;
  private failure: { error: unknown } | null = null;
  private readonly urgent: Queued[] = [];
  private readonly later: Queued[] = [];

  constructor(private readonly limit: number) {}

  /**
   * Runs `task` when a slot is free. Once any task has failed, the tasks not yet started fail with
   * the same error without being run: the report has failed, and Prometheus need not answer them.
   * The returned promise is marked handled, so a low-priority failure awaited only later is not an
   * unhandled rejection meanwhile; awaiting it still throws.
   */
  run<T>(task: () => Promise<T>, priority: 'urgent' | 'later' = 'urgent'): Promise<T> {
    const result = new Promise<T>((resolve, reject) => {
      const queued: Queued = {
        start: () => {
          this.running++;
          task().then(resolve, (error: unknown) => {
            this.fail(error);
            reject(error);
          }).finally(() => {
            this.running--;
            this.next();
          });
        },
        refuse: reject,
      };
      if (this.failure !== null) reject(this.failure.error);
      else (priority === 'urgent' ? this.urgent : this.later).push(queued);
    });
    result.catch(() => undefined);
    this.next();
    return result;
  }

  private fail(error: unknown): void {
    this.failure ??= { error };
    for (const queued of this.urgent.splice(0).concat(this.later.splice(0))) queued.refuse(this.failure.error);
  }

  private next(): void {
    while (this.failure === null && this.running < this.limit) {
      const queued = this.urgent.shift() ?? this.later.shift();
      if (queued === undefined) return;
      queued.start();
    }
  }
}
