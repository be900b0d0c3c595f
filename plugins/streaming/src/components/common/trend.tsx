import TrendingDownIcon from '@material-ui/icons/TrendingDown';
import TrendingFlatIcon from '@material-ui/icons/TrendingFlat';
import TrendingUpIcon from '@material-ui/icons/TrendingUp';
import type { LagTrend } from '@homelab/plugin-streaming-common';
import { formatDuration } from './format';

export function TrendIcon({ trend }: { trend?: LagTrend }) {
  switch (trend?.direction) {
    case 'growing':
      return <TrendingUpIcon color="error" titleAccess="lag growing" />;
    case 'shrinking':
      return <TrendingDownIcon color="primary" titleAccess="lag shrinking" />;
    case 'steady':
      return <TrendingFlatIcon titleAccess="lag steady" />;
    default:
      return null;
  }
}

export function catchUpText(trend?: LagTrend): string {
  if (!trend) return 'no history yet';
  if (trend.timeToCatchUpSeconds === 0) return 'caught up';
  if (trend.timeToCatchUpSeconds !== null)
    return `≈ ${formatDuration(trend.timeToCatchUpSeconds)}`;
  return trend.direction === 'unknown' ? 'no history yet' : 'not catching up';
}

export function lagSecondsText(trend?: LagTrend): string {
  if (!trend || trend.lagSeconds === null) return '–';
  return `${trend.lagSecondsIsLowerBound ? '≥ ' : ''}${formatDuration(
    trend.lagSeconds,
  )}`;
}
