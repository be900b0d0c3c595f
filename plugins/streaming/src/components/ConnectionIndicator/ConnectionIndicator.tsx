import { useEffect, useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import {
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import type { LiveConnectionState } from '../../live';

const LABEL = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  error: 'Error',
} as const;

function useSecondsUntil(at?: number): number | undefined {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (at === undefined) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [at]);
  return at === undefined
    ? undefined
    : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * The connection state in words. `data-status` carries the bare state
 * (connecting, live, reconnecting, error) for tests and screen readers alike.
 */
export function ConnectionIndicator({
  state,
  onRetry,
}: {
  state: LiveConnectionState;
  onRetry?: () => void;
}) {
  const seconds = useSecondsUntil(state.retryAt);
  const Icon = {
    connecting: StatusPending,
    live: StatusOK,
    reconnecting: StatusWarning,
    error: StatusError,
  }[state.status];
  return (
    <Box
      data-testid="live-connection"
      data-status={state.status}
      data-code={state.code ?? ''}
      role="status"
      aria-live="polite"
    >
      <Box display="flex" alignItems="center">
        <Icon />
        <Typography
          variant="subtitle1"
          component="span"
          style={{ fontWeight: 600 }}
          data-testid="live-connection-label"
        >
          {LABEL[state.status]}
        </Typography>
        {state.status !== 'live' && state.reason && (
          <Typography
            variant="body2"
            component="span"
            color="textSecondary"
            style={{ marginLeft: 8 }}
            data-testid="live-connection-reason"
          >
            {state.reason}
          </Typography>
        )}
        {seconds !== undefined && state.status !== 'live' && (
          <Typography
            variant="body2"
            component="span"
            color="textSecondary"
            style={{ marginLeft: 8 }}
          >
            {`retrying in ${seconds} s (attempt ${state.attempt})`}
          </Typography>
        )}
        {state.status === 'error' && state.retryAt === undefined && onRetry && (
          <Button size="small" onClick={onRetry} style={{ marginLeft: 8 }}>
            Retry
          </Button>
        )}
      </Box>
      {state.warning && (
        <Typography
          variant="body2"
          color="textSecondary"
          data-testid="live-connection-warning"
        >
          {state.warning}
        </Typography>
      )}
    </Box>
  );
}
