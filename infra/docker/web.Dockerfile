# syntax=docker/dockerfile:1.7
# NGINX with the built SPA. Build from the repository root:
#   docker build -f infra/docker/web.Dockerfile -t hanger-web .

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/
# Every workspace's manifest, for npm ci to match the lock file; only the two below are installed.
COPY native/continuation-data/package.json native/continuation-data/
COPY backend/package.json backend/
COPY frontend/package.json frontend/
RUN npm ci --workspace frontend --workspace contracts --include-workspace-root --no-audit --no-fund
COPY tsconfig.base.json ./
COPY contracts ./contracts
COPY frontend ./frontend
RUN npm run build -w frontend

# The unprivileged NGINX image: runs as uid 101, listens on 8080.
FROM nginxinc/nginx-unprivileged:1.27-alpine AS runtime
COPY infra/nginx/nginx.conf /etc/nginx/nginx.conf
COPY infra/nginx/hanger /etc/nginx/hanger
COPY --from=build /app/frontend/dist /usr/share/nginx/html
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=5s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/nginx-health || exit 1
CMD ["nginx", "-g", "daemon off;"]
