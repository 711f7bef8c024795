/** A raw TCP client for requests no HTTP library would send: every byte as written, everything received. */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { until } from './until.js';

export interface RawConnection {
  socket: Socket;
  /** Everything received so far, as latin1 text. */
  received(): string;
  /** The server closed (or reset) the connection. */
  closed(): boolean;
  /** When the connection closed (performance.now()), or null. */
  closedAt(): number | null;
  write(data: string | Buffer): void;
  /** Waits until `check(received)` holds, or fails naming `what`. */
  waitFor(check: (received: string) => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Waits until the server closed the connection. */
  waitClosed(timeoutMs: number, what: string): Promise<void>;
  destroy(): void;
}

/** Opens a connection to 127.0.0.1:`port`. */
export async function rawConnect(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let closedAt: number | null = null;
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', () => undefined);
  socket.on('close', () => { closedAt = performance.now(); });
  await once(socket, 'connect');
  const received = (): string => Buffer.concat(chunks).toString('latin1');
  return {
    socket,
    received,
    closed: () => closedAt !== null,
    closedAt: () => closedAt,
    write: (data) => { socket.write(data); },
    waitFor: (check, timeoutMs, what) => until(() => check(received()), timeoutMs, what),
    waitClosed: (timeoutMs, what) => until(() => closedAt !== null, timeoutMs, what),
    destroy: () => socket.destroy(),
  };
}

/** The status code of the first response in `text`, or null before a status line arrived. */
export function statusOf(text: string): number | null {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return m ? Number(m[1]) : null;
}

/** The body of the first response in `text` (after the blank line). */
export function bodyOf(text: string): string {
  const i = text.indexOf('\r\n\r\n');
  return i === -1 ? '' : text.slice(i + 4);
}

/** A header value of the first response in `text` (case-insensitive name), or undefined. */
export function headerOf(text: string, name: string): string | undefined {
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (line.slice(0, colon).toLowerCase() === name.toLowerCase()) return line.slice(colon + 1).trim();
  }
  return undefined;
}
