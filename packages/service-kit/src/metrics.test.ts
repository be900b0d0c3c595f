import { Registry } from 'prom-client';
import { metricsRegistry } from './metrics';

describe('metricsRegistry', () => {
  it('puts the default metrics and every metric made from it on its own registry', async () => {
    const metrics = metricsRegistry();
    const sent = metrics.counter({
      name: 'test_sent_total',
      help: 'sent',
      labelNames: ['stream'],
    });
    const up = metrics.gauge({ name: 'test_up', help: 'up' });
    const took = metrics.histogram({
      name: 'test_seconds',
      help: 'took',
      buckets: [0.1, 1],
    });
    sent.inc({ stream: 'energy' }, 2);
    up.set(1);
    took.observe(0.5);

    const text = await metrics.registry.metrics();
    expect(text).toContain('test_sent_total{stream="energy"} 2');
    expect(text).toContain('test_up 1');
    expect(text).toContain('test_seconds_bucket{le="1"} 1');
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('uses the registry it is given, and two services do not collide', async () => {
    const given = new Registry();
    const a = metricsRegistry(given);
    const b = metricsRegistry();
    a.counter({ name: 'test_same_name_total', help: 'a' });
    b.counter({ name: 'test_same_name_total', help: 'b' });
    expect(a.registry).toBe(given);
    expect(await given.metrics()).toContain('# HELP test_same_name_total a');
    expect(await b.registry.metrics()).toContain(
      '# HELP test_same_name_total b',
    );
  });

  it('reads a collect() gauge at scrape time', async () => {
    let pending = 3;
    const metrics = metricsRegistry();
    metrics.gauge({
      name: 'test_pending',
      help: 'pending',
      collect() {
        this.set(pending);
      },
    });
    expect(await metrics.registry.metrics()).toContain('test_pending 3');
    pending = 7;
    expect(await metrics.registry.metrics()).toContain('test_pending 7');
  });
});
