import {
  isStreamingKafkaAvailable,
  isStreamingKafkaLagAvailable,
  isStreamingPipelineAvailable,
  isStreamingTimescaleAvailable,
} from './conditions';
import { entity } from './__testUtils__/fixtures';

const bare = { ...entity, metadata: { name: 'plain' } };
const topicsOnly = {
  ...entity,
  metadata: {
    name: 'bridge',
    annotations: {
      'streaming.homelab.dev/produces-topics': 'local/homelab.energy',
    },
  },
};

describe('entity conditions', () => {
  it('shows the Kafka tab for groups or topics, the lag card only for groups', () => {
    expect(isStreamingKafkaAvailable(entity)).toBe(true);
    expect(isStreamingKafkaAvailable(topicsOnly)).toBe(true);
    expect(isStreamingKafkaAvailable(bare)).toBe(false);
    expect(isStreamingKafkaLagAvailable(topicsOnly)).toBe(false);
    expect(isStreamingKafkaLagAvailable(entity)).toBe(true);
  });

  it('shows the TimescaleDB tab and freshness card only with hypertables', () => {
    expect(isStreamingTimescaleAvailable(entity)).toBe(true);
    expect(isStreamingTimescaleAvailable(topicsOnly)).toBe(false);
  });

  it('shows the pipeline view only on entities that name a pipeline', () => {
    const system = {
      ...entity,
      kind: 'System',
      metadata: {
        name: 'homelab-streaming',
        annotations: { 'streaming.homelab.dev/pipeline': 'homelab-streaming' },
      },
    };
    expect(isStreamingPipelineAvailable(system)).toBe(true);
    expect(isStreamingPipelineAvailable(entity)).toBe(false);
  });
});
