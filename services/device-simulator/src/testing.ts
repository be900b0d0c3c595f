/** Largest absolute change between consecutive values: the continuity the tests bound. */
export function maxStep(values: number[]): number {
  let max = 0;
  for (let i = 1; i < values.length; i++)
    max = Math.max(max, Math.abs(values[i] - values[i - 1]));
  return max;
}

export const minOf = (values: number[]) =>
  values.reduce((a, b) => Math.min(a, b), Infinity);
export const maxOf = (values: number[]) =>
  values.reduce((a, b) => Math.max(a, b), -Infinity);
export const meanOf = (values: number[]) =>
  values.reduce((a, b) => a + b, 0) / values.length;
