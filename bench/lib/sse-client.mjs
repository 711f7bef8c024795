// A raw-socket SSE client: one `data` callback per socket read, so events that arrive in the
// same read (batching) are visible; decodes chunked transfer-encoding itself and reads the
// events with the product's SSE reader (dist/, as the proxy under benchmark).
import { connect } from 'node:net';
import { createSseTextReader } from '../../dist/src/streams/sse-parser.js';

/**
 * Opens `url` as an event stream. `onEvent(data, readId, receivedAt)` is called for each
 * complete event (keep-alives excluded); `readId` is the same for events completed by the same
 * socket read.
 * Resolves once response headers arrived, with `{ status, close() }`.
 */
export function openSseStream(url, onEvent) {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  socket.setNoDelay(true);
  socket.setEncoding('latin1');
  socket.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nAccept: text/event-stream\r\n\r\n`);
  let raw = '';
  let readId = 0;
  let receivedAt = 0;
  const reader = createSseTextReader({ event: (data) => onEvent(data, readId, receivedAt) });
  const feed = (text) => reader.write(Buffer.from(text, 'latin1'));
  let headDone = false;
  let chunked = false;
  let state = 'size';
  let remaining = 0;
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.on('data', (data) => {
      receivedAt = performance.now();
      readId++;
      raw += data;
      if (!headDone) {
        const end = raw.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = raw.slice(0, end);
        raw = raw.slice(end + 4);
        headDone = true;
        chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head);
        const status = Number(head.split(' ')[1]);
        resolve({ status, close: () => socket.destroy() });
      }
      if (!chunked) {
        feed(raw);
        raw = '';
      } else {
        let pos = 0;
        for (;;) {
          if (state === 'size') {
            const eol = raw.indexOf('\r\n', pos);
            if (eol === -1) break;
            remaining = parseInt(raw.slice(pos, eol), 16);
            pos = eol + 2;
            state = remaining === 0 ? 'end' : 'data';
            if (state === 'end') break;
          }
          if (state === 'data') {
            const take = Math.min(remaining, raw.length - pos);
            feed(raw.slice(pos, pos + take));
            pos += take;
            remaining -= take;
            if (remaining > 0) break;
            state = 'crlf';
          }
          if (state === 'crlf') {
            if (raw.length - pos < 2) break;
            pos += 2;
            state = 'size';
          }
        }
        raw = raw.slice(pos);
      }
    });
  });
}
