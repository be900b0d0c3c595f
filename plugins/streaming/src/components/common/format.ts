/** Formatting shared by the tabs and cards; units are what an operator reads, not raw numbers. */

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  return n.toLocaleString('en-US');
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds))
    return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400)
    return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export function formatMs(ms: string | undefined): string {
  if (ms === undefined) return '–';
  const n = Number(ms);
  if (n < 0) return 'unlimited';
  return Number.isFinite(n) ? formatDuration(n / 1000) : ms;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** "3m ago" from an ISO timestamp, relative to `now`. */
export function formatAge(
  iso: string | null | undefined,
  now = Date.now(),
): string {
  if (!iso) return 'never';
  const seconds = (now - Date.parse(iso)) / 1000;
  return seconds < 1 ? 'just now' : `${formatDuration(seconds)} ago`;
}

export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined) return '–';
  return `${perSecond >= 10 ? Math.round(perSecond) : perSecond.toFixed(2)}/s`;
}
