import { EmptyState, InfoCard, Progress } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import { ErrorState } from '../common';
import { PipelineTable } from './PipelineTable';
import { StageFigures } from './StageFigures';
import { PIPELINE_REFRESH_MS, usePipeline } from './usePipeline';

function Body({
  refreshIntervalMs,
  only,
}: {
  refreshIntervalMs: number;
  only?: string;
}) {
  const { value, loading, error } = usePipeline(refreshIntervalMs);
  if (loading) return <Progress />;
  if (error) return <ErrorState error={error} what="pipeline" />;
  if (!value) return null;
  const mine = only ? value.stages.filter(s => s.component === only) : [];
  const stages = mine.length ? mine : value.stages;
  if (!stages.length)
    return (
      <EmptyState
        missing="data"
        title="This pipeline has no stages"
        description={`Pipeline "${value.pipeline}" names no services, topics or hypertables under streaming.pipeline.pipelines in app-config.`}
      />
    );
  return only ? (
    <>
      {stages.map(stage => (
        <StageFigures key={stage.id} stage={stage} />
      ))}
    </>
  ) : (
    <PipelineTable stages={stages} />
  );
}

/**
 * The System's "Pipeline" tab: devices → Mosquitto → mqtt-kafka-bridge →
 * Kafka → timescaledb-sink → TimescaleDB, and Kafka → energy-ws → browsers,
 * with live rates, lag, freshness, DLQ counts and latencies.
 */
export function PipelineView({
  refreshIntervalMs = PIPELINE_REFRESH_MS,
}: {
  refreshIntervalMs?: number;
}) {
  return (
    <InfoCard
      title="Pipeline"
      subheader={`Each stage's rates, lag, freshness, dead letters and latency; refreshed every ${Math.round(
        refreshIntervalMs / 1000,
      )} s`}
    >
      <Body refreshIntervalMs={refreshIntervalMs} />
    </InfoCard>
  );
}

/** A service's card: its own stage(s) of the pipeline it belongs to. */
export function PipelineCard({
  refreshIntervalMs = PIPELINE_REFRESH_MS,
}: {
  refreshIntervalMs?: number;
}) {
  const { entity } = useEntity();
  return (
    <InfoCard
      title="Pipeline stage"
      subheader="This service in the pipeline, live"
    >
      <Body refreshIntervalMs={refreshIntervalMs} only={entity.metadata.name} />
    </InfoCard>
  );
}
