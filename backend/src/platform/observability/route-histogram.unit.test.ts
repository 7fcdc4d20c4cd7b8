import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LabelHistogram, RouteHistogram } from './route-histogram';

describe('RouteHistogram', () => {
  it('renders exactly what prom-client renders for the same observations', async () => {
    const buckets = [0.01, 0.1, 1];
    const ours = new Registry();
    const theirs = new Registry();
    const h = new RouteHistogram({ name: 'h_seconds', help: 'help', buckets, registers: [ours] });
    const p = new Histogram({
      name: 'h_seconds',
      help: 'help',
      labelNames: ['method', 'route', 'status_code'],
      buckets,
      registers: [theirs],
    });
    const observations: [string, string, number, number][] = [
      ['GET', '/a/:id', 200, 0.005],
      ['GET', '/a/:id', 200, 0.01], // on a bound: counted in that bucket (le is inclusive)
      ['GET', '/a/:id', 200, 0.5],
      ['GET', '/a/:id', 404, 3],
      ['POST', '/a', 201, 0.02],
    ];
    for (const [method, route, status, seconds] of observations) {
      h.observe(method, route, status, seconds);
      p.observe({ method, route, status_code: String(status) }, seconds);
    }
    const lines = (text: string) => text.trim().split('\n').sort();
    expect(lines(await ours.metrics())).toEqual(lines(await theirs.metrics()));
    expect(await ours.metrics()).toContain(
      'h_seconds_bucket{le="0.01",method="GET",route="/a/:id",status_code="200"} 2',
    );
  });

  it('renders one label as prom-client does, and reset drops every series', async () => {
    const buckets = [0.001, 0.01];
    const ours = new Registry();
    const theirs = new Registry();
    const h = new LabelHistogram({
      name: 'q_seconds',
      help: 'help',
      label: 'operation',
      buckets,
      registers: [ours],
    });
    const p = new Histogram({
      name: 'q_seconds',
      help: 'help',
      labelNames: ['operation'],
      buckets,
      registers: [theirs],
    });
    const observations: [string, number][] = [
      ['select', 0.0005],
      ['select', 0.001],
      ['select', 0.2], // past every bound: +Inf only
      ['insert', 0.002],
    ];
    for (const [operation, seconds] of observations) {
      h.observe(operation, seconds);
      p.observe({ operation }, seconds);
    }
    const lines = (text: string) => text.trim().split('\n').sort();
    expect(lines(await ours.metrics())).toEqual(lines(await theirs.metrics()));
    expect(await ours.metrics()).toContain('q_seconds_bucket{le="0.001",operation="select"} 2');
    expect(await ours.metrics()).toContain('q_seconds_count{operation="insert"} 1');

    ours.resetMetrics(); // the registry resets each metric it holds
    h.observe('update', 0.003);
    const after = await ours.metrics();
    expect(after).not.toContain('operation="select"');
    expect(after).toContain('q_seconds_bucket{le="+Inf",operation="update"} 1');
  });
});
