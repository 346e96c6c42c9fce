/**
 * Back-off after failures that are not a provider's answer (network down, HTTP 5xx): exponential
 * with jitter, capped at 30 minutes.
 *
 * @module
 */
import { MINUTE, SECOND } from "./config/duration.ts";

/** The longest back-off. */
export const MAX_BACKOFF_MS = 30 * MINUTE;
/** The first back-off. */
export const FIRST_BACKOFF_MS = 30 * SECOND;

/**
 * The wait after the `failures`-th failure in a row (1-based): 30 s doubling, ±20 % jitter,
 * never above {@link MAX_BACKOFF_MS}. `random` is injectable for tests.
 */
export function backoffDelay(failures: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, failures - 1));
  const jittered = base * (0.8 + 0.4 * random());
  return Math.round(Math.min(MAX_BACKOFF_MS, jittered));
}
