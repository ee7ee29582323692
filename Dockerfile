# syntax=docker/dockerfile:1
# Causeway: one image for server, agent and client (ghcr.io/causeway/causeway:<version>).
#   docker run --read-only -v /etc/causeway:/etc/causeway:ro IMAGE agent --config /etc/causeway/agent.yaml
# Runs as uid/gid 10001 and writes nowhere but /var/lib/causeway (the server's dataDir; mount a volume
# there). Agent and client write nothing at all, so a read-only root filesystem needs no tmpfs.
# Config and credential files are mounted read-only under /etc/causeway/. Every role's config should
# set `admin: 0.0.0.0:9090`: the HEALTHCHECK asks /healthz there (CAUSEWAY_HEALTH_PORT changes the port).

# Compile the TypeScript with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

# Production dependencies only. Scripts are off for the install (the root package's `prepare` needs
# tsc, a dev dependency); better-sqlite3's own install step (prebuilt addon, else a compile) runs after.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts
RUN npm rebuild better-sqlite3

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
RUN groupadd --system --gid 10001 causeway \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/causeway --no-create-home --shell /usr/sbin/nologin causeway \
 && mkdir -p /etc/causeway /var/lib/causeway \
 && chown 10001:10001 /var/lib/causeway && chmod 0700 /var/lib/causeway
COPY package.json ./
COPY bin ./bin
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
USER 10001:10001
VOLUME ["/var/lib/causeway"]
# 8443 server gRPC, 3128 client proxy, 9090 admin (/healthz /readyz /metrics).
EXPOSE 8443 3128 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.CAUSEWAY_HEALTH_PORT||'9090')+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/causeway.js"]
CMD ["--help"]
