import { useRef } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';

export const DEFAULT_REFRESH_MS = 10_000;

/**
 * Loads now and again every `intervalMs`, keeping the last good value on
 * screen while a refresh is in flight so the page does not flicker.
 */
export function usePolling<T>(
  load: () => Promise<T>,
  deps: unknown[],
  intervalMs = DEFAULT_REFRESH_MS,
) {
  const state = useAsyncRetry(load, deps);
  const last = useRef<T | undefined>(undefined);
  if (state.value !== undefined) last.current = state.value;
  useInterval(
    () => {
      if (!state.loading) state.retry();
    },
    intervalMs > 0 ? intervalMs : null,
  );
  return {
    value: state.value ?? (state.error ? undefined : last.current),
    loading: state.loading && last.current === undefined,
    error: state.error,
    retry: state.retry,
  };
}
