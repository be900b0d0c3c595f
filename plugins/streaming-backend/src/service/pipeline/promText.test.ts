import { Counter, Histogram, Registry } from 'prom-client';
import { parsePrometheusText } from './promText';

describe('parsePrometheusText', () => {
  it('reads what prom-client writes: counters with labels, histogram buckets, +Inf', async () => {
    const registry = new Registry();
    const counter = new Counter({
      name: 'c_total',
      help: 'h',
      labelNames: ['topic'],
      registers: [registry],
    });
    const histogram = new Histogram({
      name: 'lat_seconds',
      help: 'h',
      buckets: [0.1, 1],
      registers: [registry],
    });
    counter.inc({ topic: 'a "quoted"\\name' }, 3);
    histogram.observe(0.5);
    const samples = parsePrometheusText(await registry.metrics());
    expect(samples).toContainEqual({
      name: 'c_total',
      labels: { topic: 'a "quoted"\\name' },
      value: 3,
    });
    expect(samples).toContainEqual({
      name: 'lat_seconds_bucket',
      labels: { le: '+Inf' },
      value: 1,
    });
    expect(samples).toContainEqual({
      name: 'lat_seconds_bucket',
      labels: { le: '0.1' },
      value: 0,
    });
    expect(samples).toContainEqual({
      name: 'lat_seconds_count',
      labels: {},
      value: 1,
    });
  });

  it('reads a declared labelled counter that counted nothing yet as 0', async () => {
    const registry = new Registry();
    const dead = new Counter({
      name: 'dead_total',
      help: 'h',
      labelNames: ['error_class'],
      registers: [registry],
    });
    expect(parsePrometheusText(await registry.metrics())).toEqual([
      { name: 'dead_total', labels: {}, value: 0 },
    ]);
    dead.inc({ error_class: 'schema' });
    expect(parsePrometheusText(await registry.metrics())).toEqual([
      { name: 'dead_total', labels: { error_class: 'schema' }, value: 1 },
    ]);
  });

  it('accepts timestamps, NaN and blank lines, and names the line it cannot read', () => {
    expect(
      parsePrometheusText('# HELP x y\n\nx 1 1700000000000\ny NaN\n'),
    ).toEqual([
      { name: 'x', labels: {}, value: 1 },
      { name: 'y', labels: {}, value: NaN },
    ]);
    expect(() => parsePrometheusText('ok 1\nbad{a="1" 2\n')).toThrow(/line 2/);
    expect(() => parsePrometheusText('x one\n')).toThrow(
      /"one" is not a number/,
    );
    expect(() => parsePrometheusText('<html>\n')).toThrow(/line 1/);
  });

  it('refuses more samples than it will hold', () => {
    const text = Array.from({ length: 20_002 }, (_, i) => `m{i="${i}"} 1`).join(
      '\n',
    );
    expect(() => parsePrometheusText(text)).toThrow(/more than 20000 samples/);
  });
});
