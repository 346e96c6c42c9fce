import assert from "node:assert/strict";
import fc from "fast-check";
import { HOUR, MINUTE, SECOND } from "../lib/config/duration.ts";
import {
  BEAT_INTERVAL_MS,
  BEAT_MARGIN_MS,
  BEAT_PERIOD_MS,
  firstBeat,
  floorAfter,
  nextMark,
  OFFLINE_AFTER_MS,
  retryAt,
} from "../lib/providers/dynamip/schedule.ts";

const T = 1_000_000_000;
const TIMEOUT = 15 * SECOND;

Deno.test("the numbers: 15 minutes, a 5-second margin, 20 minutes to offline", () => {
  assert.equal(BEAT_INTERVAL_MS, 15 * MINUTE);
  assert.equal(BEAT_MARGIN_MS, 5 * SECOND);
  assert.equal(BEAT_PERIOD_MS, 15 * MINUTE + 5 * SECOND);
  assert.equal(OFFLINE_AFTER_MS, 20 * MINUTE);
  assert.equal(Math.round(86_400_000 / BEAT_PERIOD_MS * 100) / 100, 95.47);
});

Deno.test("floorAfter: 15 minutes plus the round trip, at least the margin; unknown is the timeout", () => {
  assert.equal(floorAfter(null, TIMEOUT), -Infinity);
  assert.equal(floorAfter({ mono: T, rttMs: 300 }, TIMEOUT), T + BEAT_PERIOD_MS);
  assert.equal(floorAfter({ mono: T, rttMs: 8 * SECOND }, TIMEOUT), T + 15 * MINUTE + 8 * SECOND);
  assert.equal(floorAfter({ mono: T, rttMs: null }, TIMEOUT), T + 15 * MINUTE + TIMEOUT);
});

Deno.test("nextMark: one period after the mark, unless the floor is later", () => {
  assert.equal(nextMark(T, { mono: T, rttMs: 200 }, TIMEOUT), T + BEAT_PERIOD_MS);
  assert.equal(nextMark(T, { mono: T + 100, rttMs: 200 }, TIMEOUT), T + BEAT_PERIOD_MS + 100);
  assert.equal(nextMark(T, { mono: T, rttMs: 9 * SECOND }, TIMEOUT), T + 15 * MINUTE + 9 * SECOND);
});

Deno.test("firstBeat: now, or the floor, or the back-off, whichever is last", () => {
  assert.equal(firstBeat(null, null, T, TIMEOUT), T);
  assert.equal(
    firstBeat({ mono: T - MINUTE, rttMs: 1 }, null, T, TIMEOUT),
    T - MINUTE + BEAT_PERIOD_MS,
  );
  assert.equal(firstBeat({ mono: T - HOUR, rttMs: 1 }, null, T, TIMEOUT), T);
  assert.equal(firstBeat(null, T + 30 * SECOND, T, TIMEOUT), T + 30 * SECOND);
});

Deno.test("retryAt: 30 s doubling within the 20-minute window, never before the floor", () => {
  const last = { mono: T, rttMs: 100 };
  const now = T + BEAT_PERIOD_MS;
  assert.equal(retryAt(1, T, last, now, TIMEOUT), now + 30 * SECOND);
  assert.equal(retryAt(2, T, last, now, TIMEOUT), now + MINUTE);
  assert.equal(retryAt(3, T, last, now, TIMEOUT), now + 2 * MINUTE);
  // The window: the last beat at T, 20 minutes, less 15 s for the request itself.
  assert.equal(retryAt(5, T, last, now, TIMEOUT), T + 20 * MINUTE - 15 * SECOND);
  // No room left: the plain back-off, capped at 15 minutes.
  assert.equal(retryAt(9, T - HOUR, last, now, TIMEOUT), now + 15 * MINUTE);
  // Never before the floor of the last request.
  assert.equal(retryAt(1, null, { mono: now, rttMs: 100 }, now, TIMEOUT), now + BEAT_PERIOD_MS);
});

Deno.test("property: a schedule never lets two beats reach the server less than 15:00 apart", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          out: fc.integer({ min: 0, max: 30_000 }),
          back: fc.integer({ min: 0, max: 30_000 }),
          late: fc.integer({ min: 0, max: 2_000 }),
        }),
        { minLength: 2, maxLength: 30 },
      ),
      (trips) => {
        // A beat is sent at its mark (plus timer lateness), reaches the server `out` ms later,
        // and its reply comes back `back` ms after that.
        let mark = T;
        let previousArrival: number | null = null;
        for (const trip of trips) {
          const sent = mark + trip.late;
          const arrival = sent + trip.out;
          if (previousArrival !== null && arrival - previousArrival < BEAT_INTERVAL_MS) {
            return false;
          }
          previousArrival = arrival;
          mark = nextMark(mark, { mono: sent, rttMs: trip.out + trip.back }, TIMEOUT);
        }
        return true;
      },
    ),
    { numRuns: 2_000 },
  );
});

Deno.test("property: with round trips within the margin the marks never drift", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: BEAT_MARGIN_MS }), { minLength: 1, maxLength: 50 }),
      (rtts) => {
        let mark = T;
        for (const rtt of rtts) mark = nextMark(mark, { mono: mark, rttMs: rtt }, TIMEOUT);
        return mark === T + rtts.length * BEAT_PERIOD_MS;
      },
    ),
  );
});
