#!/usr/bin/env node
// Validates Kubernetes manifests against the Kubernetes OpenAPI schemas (kubernetes-models, an npm
// package generated from them), plus Hanger's own rules: every container has resource requests
// and limits, api/worker/web Deployments have readiness and liveness probes, nothing runs as root.
//   kubectl kustomize infra/k8s/overlays/prod | node infra/scripts/validate-k8s.mjs -
//   node infra/scripts/validate-k8s.mjs infra/k8s/optional/worker-hpa-queue-depth.yaml
// Exit code 1 and one line per problem when anything is wrong.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { parseAllDocuments } from 'yaml';

const require = createRequire(import.meta.url);

/** apiVersion + kind → the kubernetes-models module path (core group is `v1`). */
function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const dir = group === '' ? version : `${group}/${version}`;
  try {
    return require(`kubernetes-models/${dir}/${kind}`)[kind];
  } catch {
    return undefined;
  }
}

const problems = [];
let checked = 0;

function checkWorkload(name, kind, podSpec) {
  if (!podSpec) return;
  const podSc = podSpec.securityContext ?? {};
  for (const c of [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])]) {
    const where = `${kind}/${name} container ${c.name}`;
    for (const k of ['requests', 'limits']) {
      if (!c.resources?.[k]?.memory) problems.push(`${where}: resources.${k}.memory is missing`);
    }
    if (!c.resources?.requests?.cpu) problems.push(`${where}: resources.requests.cpu is missing`);
    const nonRoot = c.securityContext?.runAsNonRoot ?? podSc.runAsNonRoot;
    if (nonRoot !== true) problems.push(`${where}: runAsNonRoot is not true`);
    if (c.securityContext?.allowPrivilegeEscalation !== false) {
      problems.push(`${where}: allowPrivilegeEscalation must be false`);
    }
    if (kind === 'Deployment') {
      if (!c.readinessProbe) problems.push(`${where}: no readinessProbe`);
      if (!c.livenessProbe) problems.push(`${where}: no livenessProbe`);
    }
  }
}

function validate(doc, source) {
  if (!doc || typeof doc !== 'object') return;
  const { apiVersion, kind } = doc;
  const name = doc.metadata?.name ?? '(unnamed)';
  const where = `${source}: ${kind}/${name}`;
  if (!apiVersion || !kind) {
    problems.push(`${where}: apiVersion and kind are required`);
    return;
  }
  const Model = modelFor(apiVersion, kind);
  if (!Model) {
    problems.push(`${where}: unknown apiVersion/kind ${apiVersion} ${kind}`);
    return;
  }
  try {
    new Model(doc).validate();
  } catch (err) {
    problems.push(`${where}: ${err.message.replace(/\s+/g, ' ')}`);
  }
  checked++;
  if (kind === 'Deployment' || kind === 'StatefulSet' || kind === 'DaemonSet') {
    checkWorkload(name, kind, doc.spec?.template?.spec);
  } else if (kind === 'Job') {
    checkWorkload(name, kind, doc.spec?.template?.spec);
  }
}

const inputs = process.argv.slice(2);
if (inputs.length === 0) {
  console.error('usage: validate-k8s.mjs <file.yaml | -> ...');
  process.exit(2);
}
for (const input of inputs) {
  const text = input === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(input, 'utf8');
  for (const d of parseAllDocuments(text)) {
    if (d.errors.length > 0) {
      problems.push(`${input}: YAML error: ${d.errors[0].message}`);
      continue;
    }
    validate(d.toJS(), input === '-' ? 'stdin' : input);
  }
}
for (const p of problems) console.error(p);
console.log(`${checked} Kubernetes objects checked, ${problems.length} problems`);
process.exit(problems.length > 0 || checked === 0 ? 1 : 0);
