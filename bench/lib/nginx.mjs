// nginx as the reference proxy: a generated config in a temp dir (1 worker, upstream
// keep-alive, access log written to /dev/null so it pays the same per-request log formatting
// as our proxy), `daemon off`, pid file in the temp dir, pinned to one CPU.
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childPids, sleep, spawnPinned, stopChild } from './procs.mjs';

export const NGINX = '/usr/sbin/nginx';

/** True when nginx is installed. */
export function hasNginx() {
  return existsSync(NGINX);
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function config(dir, port, upstreamPort) {
  return `worker_processes 1;
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log /dev/null combined;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  keepalive_requests 1000000;
  upstream cassia { server 127.0.0.1:${upstreamPort}; keepalive 64; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://cassia;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/**
 * Starts nginx pinned to `cpu` in front of `upstreamUrl`. Returns its URL, the master pid,
 * `pids()` (master + workers, for CPU and RSS) and `stop()`.
 */
export async function startNginx({ upstreamUrl, cpu }) {
  const dir = mkdtempSync(join(tmpdir(), 'cassia-bench-nginx-'));
  mkdirSync(join(dir, 'tmp'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, config(dir, port, new URL(upstreamUrl).port));
  const child = spawnPinned(cpu, NGINX, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')]);
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.resume();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr}`);
    if (childPids(child.pid).length > 0) {
      try {
        const res = await fetch(`${url}/api/cassia/hubs`);
        await res.arrayBuffer();
        if (res.ok) break;
      } catch { /* not listening yet */ }
    }
    if (Date.now() > deadline) throw new Error(`nginx did not come up: ${stderr}`);
    await sleep(100);
  }
  return {
    url,
    pid: child.pid,
    pids: () => [child.pid, ...childPids(child.pid)],
    async stop() {
      // SIGQUIT: graceful stop of master and workers; stopChild escalates to SIGKILL.
      const workers = childPids(child.pid);
      await stopChild(child, 'SIGQUIT');
      for (const worker of workers) {
        try { process.kill(worker, 'SIGKILL'); } catch { /* gone */ }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
