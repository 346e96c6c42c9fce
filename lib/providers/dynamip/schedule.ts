/**
 * When DynamIP beats may go out. DynamIP wants one beat every 15 minutes, marks a host offline
 * after 20 minutes without one, and disallows an account that beats more often: the 15-minute
 * floor is enforced here and only here. Pure: times are monotonic milliseconds passed in (see
 * `clock.ts`), so a wall clock that jumps can neither shorten nor stretch a gap.
 *
 * The floor is measured as DynamIP measures it: from the arrival of one beat to the arrival of
 * the next. A beat arrives after it is sent and before its reply comes back, so the next beat
 * goes out no sooner than 15 minutes plus the previous beat's round trip after the previous one
 * was sent: then the gap at the server is at least 15:00 whatever the network's delays. Beats are
 * spaced {@link BEAT_PERIOD_MS} (15:05) on fixed marks: the 5-second margin covers round trips of
 * up to 5 seconds without moving the marks, so there is no drift, and stays far from the 20
 * minutes that mark the host offline. That is 95.5 beats a day instead of 96.
 *
 * @module
 */
import { backoffDelay } from "../../backoff.ts";
import { MINUTE, SECOND } from "../../config/duration.ts";

/** DynamIP's heartbeat interval: the least time between two beats, as the server measures. */
export const BEAT_INTERVAL_MS: number = 15 * MINUTE;
/** Added to the interval so that a round trip of up to this long moves no mark. */
export const BEAT_MARGIN_MS: number = 5 * SECOND;
/** The schedule's period: beats go out on marks this far apart. */
export const BEAT_PERIOD_MS: number = BEAT_INTERVAL_MS + BEAT_MARGIN_MS;
/** After this long without a beat DynamIP assumes the host went offline and resets its address. */
export const OFFLINE_AFTER_MS: number = 20 * MINUTE;
/** The first retry after a beat that never reached the server; it doubles with each failure. */
export const RETRY_FIRST_MS: number = 30 * SECOND;
/** Room left for the retried request itself (its deadline) before the 20 minutes are up. */
const RETRY_MARGIN_MS: number = 15 * SECOND;
/** A retry is not squeezed into less room than this. */
const RETRY_MIN_MS: number = 5 * SECOND;

/** The last beat that may have reached DynamIP: when it was sent, and its round trip. */
export interface LastRequest {
  /** When it was sent (monotonic ms). */
  mono: number;
  /** Milliseconds until its reply or failure; null when unknown (the process ended meanwhile). */
  rttMs: number | null;
}

/**
 * The earliest time the next beat may be sent after `last`: 15 minutes plus its round trip (at
 * least {@link BEAT_MARGIN_MS}; `timeoutMs`, the longest a request can take, when unknown).
 * No beat yet: minus infinity.
 */
export function floorAfter(last: LastRequest | null, timeoutMs: number): number {
  if (last === null) return -Infinity;
  return last.mono + BEAT_INTERVAL_MS + Math.max(BEAT_MARGIN_MS, last.rttMs ?? timeoutMs);
}

/** The mark after a beat scheduled at `mark`: one period later, never before the floor. */
export function nextMark(mark: number, last: LastRequest | null, timeoutMs: number): number {
  return Math.max(mark + BEAT_PERIOD_MS, floorAfter(last, timeoutMs));
}

/** The first beat of a run at `now`: as soon as the floor and any back-off (`notBefore`) allow. */
export function firstBeat(
  last: LastRequest | null,
  notBefore: number | null,
  now: number,
  timeoutMs: number,
): number {
  return Math.max(now, floorAfter(last, timeoutMs), notBefore ?? -Infinity);
}

/**
 * When to retry after the `failures`-th beat in a row (1-based) that never reached the server:
 * 30 s, 60 s, 120 s, ... at most 15 minutes, but no later than the last confirmed beat's 20-minute
 * window allows (less {@link RETRY_MARGIN_MS} for the request), when that leaves at least
 * {@link RETRY_MIN_MS}. Never before the floor.
 */
export function retryAt(
  failures: number,
  lastBeat: number | null,
  last: LastRequest | null,
  now: number,
  timeoutMs: number,
): number {
  const backoff = backoffDelay(failures, { firstMs: RETRY_FIRST_MS, maxMs: BEAT_INTERVAL_MS });
  const room = lastBeat === null ? 0 : lastBeat + OFFLINE_AFTER_MS - RETRY_MARGIN_MS - now;
  const wait = room >= RETRY_MIN_MS ? Math.min(backoff, room) : backoff;
  return Math.max(now + wait, floorAfter(last, timeoutMs));
}
