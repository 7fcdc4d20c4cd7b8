# syntax=docker/dockerfile:1.7
# The API / worker / migrate image (one image, three commands). Build from the repository root:
#   docker build -f infra/docker/api.Dockerfile -t hanger-api .
# Runs as the non-root `node` user; TypeScript runs through tsx (a runtime dependency), so the
# image holds sources, production dependencies and nothing else.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
# node-gyp's toolchain, for the trace-context addon (native/continuation-data, ADR 0012); it stays
# in this stage. Node's headers come with the image (/usr/local/include/node).
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/
COPY native/continuation-data native/continuation-data
COPY backend/package.json backend/
COPY frontend/package.json frontend/
# Production dependencies of the backend and contracts workspaces, and the addon, built here. The
# addon is required in the image: its absence would fail the check below rather than leave tracing
# on the slower promise hooks unnoticed.
RUN npm ci --omit=dev --workspace backend --workspace contracts \
    --workspace native/continuation-data --include-workspace-root=false --no-audit --no-fund \
  && node -e "require('@hanger/continuation-data').get()" \
  && rm -rf native/continuation-data/build/Release/obj.target \
  && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    SERVE_SPA=false \
    TRUST_PROXY=true \
    NODE_OPTIONS="--enable-source-maps"
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=deps --chown=node:node /app/native ./native
COPY --chown=node:node package.json ./
COPY --chown=node:node contracts ./contracts
COPY --chown=node:node backend/package.json ./backend/
COPY --chown=node:node backend/src ./backend/src
USER node
WORKDIR /app/backend
EXPOSE 3000 9464
# Liveness of the API; the worker's compose/k8s definitions probe its METRICS_PORT instead.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The preload starts OpenTelemetry before anything else loads, when OTEL_* configures it.
ENTRYPOINT ["node", "--import", "tsx", "--import", "./src/platform/observability/preload.ts"]
CMD ["src/api.ts"]
# worker: CMD ["src/worker.ts"]   migrations: CMD ["src/migrate.ts"]
