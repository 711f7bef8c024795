/** The exchanges in flight on the proxy listener: for shutdown, the in-flight gauge and client errors. */
import type { Exchange } from './exchange.js';

/**
 * The in-flight exchanges, as an intrusive doubly linked list (links on the Exchange itself).
 * Not a Set: with a Set.add/delete per request, V8 promoted every request's whole object graph
 * (req, res, undici Request, Exchange) to old space, ~3 KB per request (sampling heap profiler,
 * objects that survived scavenges), so scavenges took ~4 ms and Mark-Compacts came every
 * ~0.3-1 s under load; with this list ~0.3-0.5 KB per request. Unlinking clears the exchange's
 * own links, so a finished exchange references no other.
 */
export class InFlight {
  private head: Exchange | null = null;
  size = 0;

  add(exchange: Exchange): void {
    exchange.nextInFlight = this.head;
    if (this.head) this.head.prevInFlight = exchange;
    this.head = exchange;
    this.size++;
  }

  delete(exchange: Exchange): void {
    const { prevInFlight: prev, nextInFlight: next } = exchange;
    if (prev) prev.nextInFlight = next;
    else if (this.head === exchange) this.head = next;
    else return; // not in the list
    if (next) next.prevInFlight = prev;
    exchange.prevInFlight = null;
    exchange.nextInFlight = null;
    this.size--;
  }

  /** The exchange answering on `res` (linear, for rare events only). */
  find(res: unknown): Exchange | null {
    for (let x = this.head; x; x = x.nextInFlight) if (x.answersOn(res)) return x;
    return null;
  }

  /** A copy, so that callers may end exchanges (which unlinks them) while going through it. */
  list(): Exchange[] {
    const out: Exchange[] = [];
    for (let x = this.head; x; x = x.nextInFlight) out.push(x);
    return out;
  }
}
