import { InfoCard, Progress } from '@backstage/core-components';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { useEntityTimescale } from '../../hooks';
import { ErrorState, formatAge, formatRate } from '../common';

/** Rows older than this are shown as stale: devices report every few seconds. */
const STALE_MS = 15 * 60_000;

/** Overview card: how fresh is this entity's data? */
export function FreshnessCard({
  refreshIntervalMs,
}: {
  refreshIntervalMs?: number;
}) {
  const { value, loading, error } = useEntityTimescale(refreshIntervalMs);
  const now = Date.now();
  const stale = (iso?: string | null) =>
    !iso || now - Date.parse(iso) > STALE_MS;
  return (
    <InfoCard
      title="Data freshness"
      subheader="Newest rows in this entity's hypertables"
    >
      {loading && <Progress />}
      {error && <ErrorState error={error} what="TimescaleDB" />}
      {value && (
        <Table size="small" aria-label="data freshness">
          <TableHead>
            <TableRow>
              <TableCell>Table</TableCell>
              <TableCell>Newest row</TableCell>
              <TableCell align="right">Ingest</TableCell>
              <TableCell>Stale devices</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {value.tables.map(t => {
              const staleDevices =
                t.freshness?.perDevice.filter(d => stale(d.newestTs)) ?? [];
              return (
                <TableRow key={`${t.database}/${t.table}`}>
                  <TableCell>{`${t.database}/${t.table}`}</TableCell>
                  <TableCell>
                    {t.error ? (
                      <Typography variant="caption" color="error">
                        {t.error}
                      </Typography>
                    ) : (
                      <Typography
                        variant="body2"
                        color={
                          stale(t.freshness?.newestTs) ? 'error' : 'textPrimary'
                        }
                      >
                        {formatAge(t.freshness?.newestTs, now)}
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell align="right">
                    {formatRate(t.ingest?.ratePerSecond)}
                  </TableCell>
                  <TableCell>
                    {staleDevices.length
                      ? staleDevices
                          .map(
                            d =>
                              `${d.deviceId} (${formatAge(d.newestTs, now)})`,
                          )
                          .join(', ')
                      : 'none'}
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
    </InfoCard>
  );
}
