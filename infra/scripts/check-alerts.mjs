#!/usr/bin/env node
// Checks infra/prometheus/alerts.yml: valid YAML in Prometheus' rule-file shape, every alert has an
// expression, a severity, a summary and a runbook that exists, and every metric it names is one
// that backend/src/platform/observability/metrics.ts (or prom-client's defaults) exports.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '../..');
const file = process.argv[2] ?? path.join(root, 'infra/prometheus/alerts.yml');
const metricsSource = fs.readFileSync(
  path.join(root, 'backend/src/platform/observability/metrics.ts'),
  'utf8',
);
const exported = new Set([...metricsSource.matchAll(/name: '([a-z_]+)'/g)].map((m) => m[1]));
const problems = [];
let alerts = 0;
const doc = parse(fs.readFileSync(file, 'utf8'));
if (!Array.isArray(doc?.groups)) problems.push('top level must have groups: [...]');
for (const group of doc?.groups ?? []) {
  if (!group.name || !Array.isArray(group.rules))
    problems.push(`group ${group.name}: name and rules required`);
  for (const rule of group.rules ?? []) {
    alerts++;
    const id = `${group.name}/${rule.alert ?? rule.record}`;
    if (!rule.alert) problems.push(`${id}: only alerting rules are expected here`);
    if (typeof rule.expr !== 'string' || !rule.expr.trim()) problems.push(`${id}: expr missing`);
    if (!['page', 'ticket'].includes(rule.labels?.severity))
      problems.push(`${id}: severity must be page|ticket`);
    if (!rule.annotations?.summary) problems.push(`${id}: annotations.summary missing`);
    const runbook = rule.annotations?.runbook_url;
    if (!runbook || !fs.existsSync(path.join(root, runbook)))
      problems.push(`${id}: runbook ${runbook} not found`);
    for (const [, metric] of (rule.expr ?? '').matchAll(
      /\b(hanger_[a-z_]+?)(?:_bucket|_count|_sum)?\b[{[]/g,
    )) {
      if (!exported.has(metric)) problems.push(`${id}: unknown metric ${metric}`);
    }
    let depth = 0;
    for (const ch of rule.expr ?? '') {
      if ('({['.includes(ch)) depth++;
      if (')}]'.includes(ch)) depth--;
      if (depth < 0) break;
    }
    if (depth !== 0) problems.push(`${id}: unbalanced brackets in expr`);
  }
}
for (const p of problems) console.error(p);
console.log(`${alerts} alert rules checked, ${problems.length} problems`);
process.exit(problems.length > 0 || alerts === 0 ? 1 : 0);
