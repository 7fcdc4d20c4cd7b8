#!/usr/bin/env bash
# Validates everything in infra/ without a container engine or a cluster:
#   1. docker-compose.yml: `docker compose config -q` when the compose plugin is there, otherwise
#      Debian's `docker-compose` (v1.29, which parses the same Compose spec), installed if missing;
#   2. NGINX: `nginx -t` on infra/nginx/nginx.conf (upstream host swapped for 127.0.0.1);
#   3. Kubernetes: each kustomize overlay rendered (`kubectl kustomize`) and validated against the
#      Kubernetes OpenAPI schemas + our rules (validate-k8s.mjs, kubernetes-models from npm);
#   4. Prometheus alert rules (check-alerts.mjs).
# Usage: infra/scripts/validate.sh [--json FILE]   (FILE: vitest-style counts for .ci/run)
set -uo pipefail
cd "$(dirname "$0")/../.."
json=""
[ "${1:-}" = "--json" ] && json="${2:-}"
passed=0
failed=0
names=()
check() {
  local name="$1"
  shift
  if out="$("$@" 2>&1)"; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    names+=("$name")
    echo "FAIL $name"
    echo "$out" | sed 's/^/     /'
  fi
}

compose_config() {
  if docker compose version >/dev/null 2>&1; then
    docker compose -f infra/docker-compose.yml config -q
  else
    if ! command -v docker-compose >/dev/null 2>&1; then
      apt-get install -y -qq docker-compose >/dev/null 2>&1 ||
        (apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null)
    fi
    docker-compose -f infra/docker-compose.yml config -q
  fi
}

nginx_test() {
  command -v nginx >/dev/null 2>&1 || { echo "nginx is not installed"; return 1; }
  local dir
  dir="$(mktemp -d)"
  cp -r infra/nginx/hanger "$dir/hanger"
  cp /etc/nginx/mime.types "$dir/mime.types"
  sed -e 's/server api:3000/server 127.0.0.1:3000/' -e "s| /tmp/| $dir/|g" \
    infra/nginx/nginx.conf >"$dir/nginx.conf"
  nginx -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
  local rc=$?
  rm -rf "$dir"
  return $rc
}

k8s_overlay() {
  command -v kubectl >/dev/null 2>&1 || { echo "kubectl (kustomize) is not installed"; return 1; }
  kubectl kustomize "infra/k8s/overlays/$1" | node infra/scripts/validate-k8s.mjs -
}

check "docker-compose.yml (compose config)" compose_config
check "nginx.conf (nginx -t)" nginx_test
check "k8s overlay staging" k8s_overlay staging
check "k8s overlay prod" k8s_overlay prod
check "k8s optional manifests" node infra/scripts/validate-k8s.mjs infra/k8s/optional/worker-hpa-queue-depth.yaml infra/k8s/base/secret.example.yaml
check "prometheus alert rules" node infra/scripts/check-alerts.mjs

echo "infra: $passed passed, $failed failed"
if [ -n "$json" ]; then
  node -e '
    const [file, p, f, ...names] = process.argv.slice(1);
    const failedSuites = names.map((n) => ({ name: n, status: "failed", assertionResults: [{ status: "failed" }] }));
    require("fs").writeFileSync(file, JSON.stringify({ numPassedTests: +p, numFailedTests: +f, numPendingTests: 0, testResults: failedSuites }));
  ' "$json" "$passed" "$failed" "${names[@]}"
fi
[ "$failed" -eq 0 ]
