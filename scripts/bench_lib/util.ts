/**
 * Small helpers of the benchmark: waiting, scratch directories, medians.
 *
 * @module
 */

/** Waits `ms` of real time (nothing when `ms` ≤ 0). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Creates `dir/name` (and parents) and returns its path. */
export async function subdir(dir: string, name: string): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.mkdir(path, { recursive: true });
  return path;
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of nothing");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
