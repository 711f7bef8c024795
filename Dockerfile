# syntax=docker/dockerfile:1
# cassia-ac-proxy: multi-stage build. Stage 1 compiles TypeScript with the dev dependencies;
# stage 2 holds production dependencies, the compiled dist/, and the dashboards and rules.
#
#   docker build -t cassia-ac-proxy .
#   docker run --rm -p 8080:8080 -p 9464:9464 -e CASSIA_AC_URL=https://ac.example.com cassia-ac-proxy
#
# Config: environment (CASSIA_AC_URL, PROXY_LISTEN, ADMIN_LISTEN, CASSIA_AC_KEY/SECRET, ...)
# and/or a mounted file: `... cassia-ac-proxy serve --config /etc/cassia-ac-proxy/config.yaml`.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PROXY_LISTEN=0.0.0.0:8080 \
    ADMIN_LISTEN=0.0.0.0:9464
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY grafana ./grafana
COPY prometheus ./prometheus
# The node image's unprivileged user (uid 1000); the app files stay root-owned and read-only to it.
USER node
EXPOSE 8080 9464
# No curl in slim images: Node's fetch checks /healthz on the admin port taken from ADMIN_LISTEN.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "const p=(process.env.ADMIN_LISTEN||'').split(':').pop()||'9464';fetch('http://127.0.0.1:'+p+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node is PID 1 and the CLI handles SIGTERM itself: stop accepting, drain in-flight requests up
# to timeouts.shutdown, end streams. No tini needed (no child processes to reap).
STOPSIGNAL SIGTERM
# V8's young generation fixed at 2 × 16 MiB (docs/operations.md "Memory"): memory flat from the
# first minutes instead of V8 growing and shrinking it with the load. Same flags as `npm start`.
ENTRYPOINT ["node", "--max-semi-space-size=16", "--min-semi-space-size=16", "dist/src/cli.js"]
CMD ["serve"]
