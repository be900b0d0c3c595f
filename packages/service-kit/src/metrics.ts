import {
  Counter,
  CounterConfiguration,
  Gauge,
  GaugeConfiguration,
  Histogram,
  HistogramConfiguration,
  Registry,
  collectDefaultMetrics,
} from 'prom-client';

/** A metric's settings without `registers`: the registry it goes on is the service's. */
type OwnRegistry<C> = Omit<C, 'registers'>;

/**
 * A service's Prometheus metrics on a registry of its own (so that several
 * services in one test process do not collide): the process's default
 * metrics, and counters, gauges and histograms registered on it.
 */
export function metricsRegistry(registry: Registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    counter<T extends string>(config: OwnRegistry<CounterConfiguration<T>>) {
      return new Counter<T>({ ...config, registers });
    },
    gauge<T extends string>(config: OwnRegistry<GaugeConfiguration<T>>) {
      return new Gauge<T>({ ...config, registers });
    },
    histogram<T extends string>(
      config: OwnRegistry<HistogramConfiguration<T>>,
    ) {
      return new Histogram<T>({ ...config, registers });
    },
  };
}
