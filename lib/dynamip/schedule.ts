/**
 * When DynamIP beats may go out. DynamIP wants one beat every 15 minutes, marks a host offline
 * after 20 minutes without one, and disallows an account that beats more often: the 15-minute
 * floor is enforced here and only here. Pure: times are epoch milliseconds passed in.
 *
 * Clock jumps are bounded rather than trusted: whatever the clock says, the next beat is never
 * more than {@link BEAT_INTERVAL_MS} away, so a clock set back cannot stall the beat and a clock
 * set forward cannot make it burst.
 *
 * @module
 */
import { MINUTE, SECOND } from "../duration.ts";

/** DynamIP's heartbeat interval, and the least time between two beats. */
export const BEAT_INTERVAL_MS: number = 15 * MINUTE;
/** After this long without a beat DynamIP assumes the host went offline and resets its address. */
export const OFFLINE_AFTER_MS: number = 20 * MINUTE;
/** The first retry after a beat that never reached the server; it doubles with each failure. */
export const RETRY_FIRST_MS: number = 30 * SECOND;
/** Room left for the retried request itself (its deadline) before the 20 minutes are up. */
export const RETRY_MARGIN_MS: number = 15 * SECOND;
/** A retry is not squeezed into less room than this. */
export const RETRY_MIN_MS: number = 5 * SECOND;
/**
 * The most a step between two readings of the clock may advance beyond what it slept: a request's
 * deadline with margin. A larger advance, or a step back, is taken for a clock jump.
 */
export const MAX_STEP_MS: number = 20 * SECOND;
/** How much earlier than its sleep a step may read the clock before that counts as a jump back. */
export const STEP_TOLERANCE_MS: number = SECOND;

/**
 * Earliest time the next beat may be sent: `now + clamp(lastRequestAt + 15 min − now, 0, 15 min)`.
 * A clock set back cannot stall the beat (the wait is at most 15 minutes); a clock set forward
 * cannot make it burst (one beat, then every 15 minutes). No request yet: `now`.
 */
export function earliestBeat(lastRequestAt: number | null, now: number): number {
  if (lastRequestAt === null) return now;
  return now + clamp(lastRequestAt + BEAT_INTERVAL_MS - now, 0, BEAT_INTERVAL_MS);
}

/**
 * The next fixed mark after a beat scheduled at `mark`: `mark + 15 min` (drift-free), re-anchored
 * to {@link earliestBeat} when a clock jump put it outside `[now, now + 15 min]`; never earlier
 * than `earliestBeat(lastRequestAt, now)`.
 */
export function nextMark(mark: number, lastRequestAt: number | null, now: number): number {
  const floor = earliestBeat(lastRequestAt, now);
  const next = mark + BEAT_INTERVAL_MS;
  return next >= now && next <= now + BEAT_INTERVAL_MS ? Math.max(next, floor) : floor;
}

/**
 * The first beat of a loop: {@link earliestBeat}, or later while a back-off holds (`retryAt`,
 * bounded to 15 minutes from `now` like everything else here).
 */
export function firstBeat(
  lastRequestAt: number | null,
  retryAt: number | null,
  now: number,
): number {
  const floor = earliestBeat(lastRequestAt, now);
  return retryAt === null ? floor : Math.max(floor, Math.min(retryAt, now + BEAT_INTERVAL_MS));
}

/**
 * When to retry after the `failures`-th beat in a row (1-based) that never reached the server:
 * 30 s, 60 s, 120 s, ... at most 15 minutes, but no later than the last confirmed beat's 20-minute
 * window allows (less {@link RETRY_MARGIN_MS} for the request), when that leaves at least
 * {@link RETRY_MIN_MS}. Never earlier than `earliestBeat(lastRequestAt, now)`.
 */
export function retryAt(
  failures: number,
  lastBeat: number | null,
  lastRequestAt: number | null,
  now: number,
): number {
  const backoff = Math.min(RETRY_FIRST_MS * 2 ** Math.max(0, failures - 1), BEAT_INTERVAL_MS);
  const room = lastBeat === null ? 0 : lastBeat + OFFLINE_AFTER_MS - RETRY_MARGIN_MS - now;
  const wait = room >= RETRY_MIN_MS ? Math.min(backoff, room) : backoff;
  return Math.max(now + wait, earliestBeat(lastRequestAt, now));
}

/**
 * How much time really passed during a step in which the wall clock moved by `wallDelta` and the
 * process slept `slept` ms (a sleep is measured on the monotonic clock). `wallDelta` when it is
 * plausible — not more than {@link STEP_TOLERANCE_MS} short of the sleep, not more than
 * {@link MAX_STEP_MS} beyond it — else `slept`: the clock jumped, and only the sleep is known.
 * Never negative.
 */
export function realElapsed(wallDelta: number, slept: number): number {
  const plausible = wallDelta >= slept - STEP_TOLERANCE_MS && wallDelta <= slept + MAX_STEP_MS;
  return Math.max(0, plausible ? wallDelta : slept);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
