import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import type { Entity } from '@backstage/catalog-model';
import { StreamingClient, streamingApiRef } from './api';
import {
  isStreamingDlqAvailable,
  isStreamingKafkaAvailable,
  isStreamingKafkaLagAvailable,
  isStreamingPipelineAvailable,
  isStreamingTimescaleAvailable,
} from './conditions';
import {
  isStreamingLiveAvailable,
  StreamingLiveClient,
  streamingLiveApiRef,
} from './live';

/** @alpha */
export const streamingApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: streamingApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new StreamingClient(deps),
    }),
});

/** @alpha */
export const entityKafkaContent = EntityContentBlueprint.make({
  name: 'kafka',
  params: {
    path: '/kafka',
    title: 'Kafka',
    group: 'observability',
    filter: isStreamingKafkaAvailable,
    loader: () => import('./components/KafkaTab').then(m => <m.KafkaTab />),
  },
});

/** @alpha */
export const entityTimescaleContent = EntityContentBlueprint.make({
  name: 'timescale',
  params: {
    path: '/timescaledb',
    title: 'TimescaleDB',
    group: 'observability',
    filter: isStreamingTimescaleAvailable,
    loader: () =>
      import('./components/TimescaleTab').then(m => <m.TimescaleTab />),
  },
});

/** @alpha */
export const streamingLiveApi = ApiBlueprint.make({
  name: 'live',
  params: defineParams =>
    defineParams({
      api: streamingLiveApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new StreamingLiveClient(deps),
    }),
});

/** @alpha */
export const entityLiveContent = EntityContentBlueprint.make({
  name: 'live',
  params: {
    path: '/live',
    title: 'Live',
    group: 'observability',
    filter: isStreamingLiveAvailable,
    loader: () => import('./components/LiveTab').then(m => <m.LiveTab />),
  },
});

/** @alpha */
export const entityDeadLettersContent = EntityContentBlueprint.make({
  name: 'dead-letters',
  params: {
    path: '/dead-letters',
    title: 'Dead letters',
    group: 'observability',
    filter: isStreamingDlqAvailable,
    loader: () =>
      import('./components/DeadLettersTab').then(m => <m.DeadLettersTab />),
  },
});

/** @alpha */
export const entityKafkaLagCard = EntityCardBlueprint.make({
  name: 'kafka-lag',
  params: {
    filter: isStreamingKafkaLagAvailable,
    loader: () =>
      import('./components/LagSummaryCard').then(m => <m.LagSummaryCard />),
  },
});

/** @alpha */
export const entityDataFreshnessCard = EntityCardBlueprint.make({
  name: 'data-freshness',
  params: {
    filter: isStreamingTimescaleAvailable,
    loader: () =>
      import('./components/FreshnessCard').then(m => <m.FreshnessCard />),
  },
});

/** @alpha The System's Pipeline tab: each stage's rate, lag, freshness, DLQ count and latency. */
export const entityPipelineContent = EntityContentBlueprint.make({
  name: 'pipeline',
  params: {
    path: '/pipeline',
    title: 'Pipeline',
    group: 'observability',
    filter: (entity: Entity) =>
      entity.kind.toLowerCase() === 'system' &&
      isStreamingPipelineAvailable(entity),
    loader: () =>
      import('./components/PipelineView').then(m => <m.PipelineView />),
  },
});

/** @alpha A service's own stage of its pipeline. */
export const entityPipelineCard = EntityCardBlueprint.make({
  name: 'pipeline-stage',
  params: {
    filter: (entity: Entity) =>
      entity.kind.toLowerCase() === 'component' &&
      isStreamingPipelineAvailable(entity),
    loader: () =>
      import('./components/PipelineView').then(m => <m.PipelineCard />),
  },
});

/**
 * The streaming plugin for the new frontend system: "Kafka" and "TimescaleDB"
 * entity tabs and the lag and freshness overview cards, each shown only on
 * entities that carry the matching annotations.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'streaming',
  info: { packageJson: () => import('../package.json') },
  extensions: [
    streamingApi,
    entityKafkaContent,
    entityTimescaleContent,
    entityKafkaLagCard,
    entityDataFreshnessCard,
    streamingLiveApi,
    entityLiveContent,
    entityDeadLettersContent,
    entityPipelineContent,
    entityPipelineCard,
  ],
});
