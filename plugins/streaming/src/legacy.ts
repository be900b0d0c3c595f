import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { StreamingClient, streamingApiRef } from './api';
import { StreamingLiveClient, streamingLiveApiRef } from './live';

export const kafkaRouteRef = createRouteRef({ id: 'streaming:kafka' });
export const timescaleRouteRef = createRouteRef({ id: 'streaming:timescale' });
export const liveRouteRef = createRouteRef({ id: 'streaming:live' });
export const pipelineRouteRef = createRouteRef({ id: 'streaming:pipeline' });
export const deadLettersRouteRef = createRouteRef({
  id: 'streaming:dead-letters',
});

/**
 * The plugin for legacy (pre new frontend system) apps.
 *
 * @public
 */
export const streamingPlugin = createPlugin({
  id: 'streaming',
  apis: [
    createApiFactory({
      api: streamingApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new StreamingClient(deps),
    }),
    createApiFactory({
      api: streamingLiveApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new StreamingLiveClient(deps),
    }),
  ],
  routes: {
    kafka: kafkaRouteRef,
    timescale: timescaleRouteRef,
    live: liveRouteRef,
    deadLetters: deadLettersRouteRef,
    pipeline: pipelineRouteRef,
  },
});

/** @public */
export const EntityStreamingKafkaContent = streamingPlugin.provide(
  createRoutableExtension({
    name: 'EntityStreamingKafkaContent',
    component: () => import('./components/KafkaTab').then(m => m.KafkaTab),
    mountPoint: kafkaRouteRef,
  }),
);

/** @public */
export const EntityStreamingTimescaleContent = streamingPlugin.provide(
  createRoutableExtension({
    name: 'EntityStreamingTimescaleContent',
    component: () =>
      import('./components/TimescaleTab').then(m => m.TimescaleTab),
    mountPoint: timescaleRouteRef,
  }),
);

/** @public */
export const EntityKafkaLagCard = streamingPlugin.provide(
  createComponentExtension({
    name: 'EntityKafkaLagCard',
    component: {
      lazy: () =>
        import('./components/LagSummaryCard').then(m => m.LagSummaryCard),
    },
  }),
);

/** @public */
export const EntityDataFreshnessCard = streamingPlugin.provide(
  createComponentExtension({
    name: 'EntityDataFreshnessCard',
    component: {
      lazy: () =>
        import('./components/FreshnessCard').then(m => m.FreshnessCard),
    },
  }),
);

/** @public */
export const EntityStreamingLiveContent = streamingPlugin.provide(
  createRoutableExtension({
    name: 'EntityStreamingLiveContent',
    component: () => import('./components/LiveTab').then(m => m.LiveTab),
    mountPoint: liveRouteRef,
  }),
);

/** @public */
export const EntityStreamingDeadLettersContent = streamingPlugin.provide(
  createRoutableExtension({
    name: 'EntityStreamingDeadLettersContent',
    component: () =>
      import('./components/DeadLettersTab').then(m => m.DeadLettersTab),
    mountPoint: deadLettersRouteRef,
  }),
);

/** @public The System's Pipeline tab. */
export const EntityStreamingPipelineContent = streamingPlugin.provide(
  createRoutableExtension({
    name: 'EntityStreamingPipelineContent',
    component: () =>
      import('./components/PipelineView').then(m => m.PipelineView),
    mountPoint: pipelineRouteRef,
  }),
);

/** @public A service's own stage of its pipeline. */
export const EntityPipelineStageCard = streamingPlugin.provide(
  createComponentExtension({
    name: 'EntityPipelineStageCard',
    component: {
      lazy: () => import('./components/PipelineView').then(m => m.PipelineCard),
    },
  }),
);
