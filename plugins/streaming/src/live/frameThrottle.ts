/**
 * Runs `render` at most once per animation frame however often `schedule`
 * is called, so 20 msg/s (or a burst of replayed records) costs one React
 * update per frame. Falls back to a 16 ms timer where there is no
 * requestAnimationFrame (tests, background tabs still get timers).
 */
export function frameThrottle(render: () => void): {
  schedule(): void;
  cancel(): void;
} {
  const raf =
    typeof requestAnimationFrame === 'function'
      ? requestAnimationFrame
      : undefined;
  let handle: number | ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    handle = undefined;
    render();
  };
  return {
    schedule() {
      if (handle !== undefined) return;
      handle = raf ? raf(run) : setTimeout(run, 16);
    },
    cancel() {
      if (handle === undefined) return;
      if (raf && typeof handle === 'number') cancelAnimationFrame(handle);
      else clearTimeout(handle as ReturnType<typeof setTimeout>);
      handle = undefined;
    },
  };
}
