/**
 * Exponential back-off: a first wait that doubles with each failure in a row up to a cap,
 * optionally with jitter. The one formula behind every retry (a provider's failures that are not
 * its answer, a DynamIP beat that never arrived, a state save, a notification); each caller keeps
 * its own figures.
 *
 * @module
 */
import { MINUTE, SECOND } from "./config/duration.ts";

/** A back-off's figures. */
export interface BackoffPolicy {
  /** The wait after the first failure. */
  firstMs: number;
  /** The longest wait. */
  maxMs: number;
  /** How far each wait is spread either way, as a fraction (0.2: ±20 %); none when absent. */
  jitter?: number;
}

/** The longest back-off of a provider. */
export const MAX_BACKOFF_MS = 30 * MINUTE;
/** The first back-off of a provider. */
export const FIRST_BACKOFF_MS = 30 * SECOND;

/** After a provider's failures that are not its answer (network down, HTTP 5xx). */
export const PROVIDER_BACKOFF: BackoffPolicy = {
  firstMs: FIRST_BACKOFF_MS,
  maxMs: MAX_BACKOFF_MS,
  jitter: 0.2,
};

/**
 * The wait after the `failures`-th failure in a row (1-based): `policy.firstMs` doubling, spread
 * by the jitter (rounded to whole ms), never above `policy.maxMs`. `random` is injectable for tests.
 */
export function backoffDelay(
  failures: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.maxMs, policy.firstMs * 2 ** Math.max(0, failures - 1));
  if (policy.jitter === undefined) return base;
  const jittered = base * (1 - policy.jitter + 2 * policy.jitter * random());
  return Math.round(Math.min(policy.maxMs, jittered));
}
