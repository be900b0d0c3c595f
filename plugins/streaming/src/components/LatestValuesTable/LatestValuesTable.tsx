import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import type { StreamName } from '@homelab/plugin-streaming-common';
import type { DeviceLatest } from '../../live';
import { fieldInfo } from '../LiveChart/streamFields';

const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 });

export function formatValue(
  field: string,
  value: number,
  stream: StreamName = 'energy',
): string {
  const { unit } = fieldInfo(stream, field);
  return unit ? `${number.format(value)} ${unit}` : number.format(value);
}

/** The latest reading of every field, one block of rows per device. */
export function LatestValuesTable({ latest }: { latest: DeviceLatest[] }) {
  if (!latest.length) {
    return (
      <Typography
        variant="body2"
        color="textSecondary"
        data-testid="live-latest-empty"
      >
        No readings yet. They appear here as soon as a device publishes.
      </Typography>
    );
  }
  return (
    <Table size="small" data-testid="live-latest">
      <TableHead>
        <TableRow>
          <TableCell>Device</TableCell>
          <TableCell>Field</TableCell>
          <TableCell align="right">Value</TableCell>
          <TableCell>Reading time</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {latest.flatMap(device =>
          Object.entries(device.fields)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([field, value]) => (
              <TableRow
                key={`${device.key}/${field}`}
                data-testid={`live-value-${device.deviceId}-${field}`}
              >
                <TableCell>{`${device.deviceId} (${device.stream})`}</TableCell>
                <TableCell>{fieldInfo(device.stream, field).label}</TableCell>
                <TableCell align="right">
                  {formatValue(field, value, device.stream)}
                </TableCell>
                <TableCell>
                  {new Date(device.ts).toLocaleTimeString()}
                </TableCell>
              </TableRow>
            )),
        )}
      </TableBody>
    </Table>
  );
}
