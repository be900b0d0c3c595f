import { InfoCard, Progress } from '@backstage/core-components';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import type { EntityKafkaResponse } from '@homelab/plugin-streaming-common';
import { useEntityKafka } from '../../hooks';
import {
  catchUpText,
  describeStateCounts,
  ErrorState,
  formatCount,
  lagSecondsText,
  Sparkline,
  TrendIcon,
} from '../common';

/** One row per consumer group: lag in records and time, trend and time to catch up. */
export function LagSummary({ data }: { data: EntityKafkaResponse }) {
  if (!data.groups.length) {
    return (
      <Typography variant="body2" color="textSecondary">
        This entity names no consumer groups (annotation
        kafka.apache.org/consumer-groups).
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="consumer group lag">
      <TableHead>
        <TableRow>
          <TableCell>Group</TableCell>
          <TableCell align="right">Lag</TableCell>
          <TableCell align="right">Lag (time)</TableCell>
          <TableCell>Trend</TableCell>
          <TableCell>Catch-up</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {data.groups.map(g => (
          <TableRow key={`${g.cluster}/${g.group}`}>
            <TableCell>
              <Typography variant="body2">{g.group}</Typography>
              {g.error && (
                <Typography variant="caption" color="error">
                  {g.error}
                </Typography>
              )}
              {describeStateCounts(g.stateCounts).map(w => (
                <Typography
                  key={w}
                  variant="caption"
                  color="error"
                  display="block"
                >
                  {w}
                </Typography>
              ))}
            </TableCell>
            <TableCell align="right">
              {g.error ? '–' : formatCount(g.totalLag)}
            </TableCell>
            <TableCell align="right">{lagSecondsText(g.trend)}</TableCell>
            <TableCell>
              <TrendIcon trend={g.trend} />
              {g.trend && (
                <Sparkline samples={g.trend.samples} width={100} height={28} />
              )}
            </TableCell>
            <TableCell>{g.error ? '–' : catchUpText(g.trend)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/** Overview card: does this entity's pipeline keep up? */
export function LagSummaryCard({
  refreshIntervalMs,
}: {
  refreshIntervalMs?: number;
}) {
  const { value, loading, error } = useEntityKafka(refreshIntervalMs);
  return (
    <InfoCard title="Kafka lag" subheader="Consumer groups of this entity">
      {loading && <Progress />}
      {error && <ErrorState error={error} what="Kafka" />}
      {value && <LagSummary data={value} />}
    </InfoCard>
  );
}
