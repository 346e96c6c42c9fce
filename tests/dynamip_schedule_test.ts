import assert from "node:assert/strict";
// Tests only; deno.json has no import map entry for it (the lead may move it there).
import fc from "fast-check";
import {
  BEAT_INTERVAL_MS,
  earliestBeat,
  firstBeat,
  MAX_STEP_MS,
  nextMark,
  OFFLINE_AFTER_MS,
  realElapsed,
  RETRY_MARGIN_MS,
  retryAt,
  STEP_TOLERANCE_MS,
} from "../lib/dynamip/schedule.ts";
import { HOUR, MINUTE, SECOND } from "../lib/duration.ts";

const T = Date.UTC(2026, 0, 1);
const M = MINUTE;

/** Any epoch time within a few years of T, at millisecond resolution. */
const time = fc.integer({ min: T - 3 * 365 * 24 * HOUR, max: T + 3 * 365 * 24 * HOUR });
/** An offset within ±2 hours: small jumps and everyday gaps. */
const near = fc.integer({ min: -2 * HOUR, max: 2 * HOUR });

function withinInterval(result: number, now: number): void {
  assert.ok(result >= now, `${result - now} ms before now`);
  assert.ok(result <= now + BEAT_INTERVAL_MS, `${(result - now) / M} min after now`);
}

Deno.test("the constants are DynamIP's: beat every 15 minutes, offline after 20", () => {
  assert.equal(BEAT_INTERVAL_MS, 15 * M);
  assert.equal(OFFLINE_AFTER_MS, 20 * M);
});

Deno.test("earliestBeat: the floor, bounded by 15 minutes either way", () => {
  const cases: [number | null, number, number][] = [
    [null, T, T], // never sent: now
    [T, T, T + 15 * M], // just sent
    [T, T + 5 * M, T + 15 * M],
    [T, T + 15 * M, T + 15 * M], // exactly due
    [T, T + 15 * M + 1, T + 15 * M + 1],
    [T, T + 20 * M, T + 20 * M], // overdue: now
    [T, T + 30 * 24 * HOUR, T + 30 * 24 * HOUR], // clock set forward a month: now, once
    [T + HOUR, T, T + 15 * M], // clock set back an hour: 15 minutes, not 75
    [T + 365 * 24 * HOUR, T, T + 15 * M], // clock set back a year
  ];
  for (const [last, now, expected] of cases) {
    assert.equal(earliestBeat(last, now), expected, `last ${last} now ${now}`);
  }
});

Deno.test("nextMark: fixed 15-minute marks, re-anchored after clock jumps", () => {
  const cases: [string, number, number | null, number, number][] = [
    ["on time", T, T, T + 200, T + 15 * M],
    ["request took 14 s", T, T, T + 14 * SECOND, T + 15 * M],
    ["sent late: the floor", T, T + 3 * SECOND, T + 4 * SECOND, T + 15 * M + 3 * SECOND],
    ["clock +1 h during the request", T, T, T + HOUR, T + HOUR],
    ["clock -1 h during the request", T, T, T - HOUR, T - HOUR + 15 * M],
    ["clock -10 min during the request", T, T, T - 10 * M, T - 10 * M + 15 * M],
    ["clock +16 min: mark passed", T, T, T + 16 * M, T + 16 * M],
  ];
  for (const [name, mark, last, now, expected] of cases) {
    assert.equal(nextMark(mark, last, now), expected, name);
    withinInterval(nextMark(mark, last, now), now);
  }
});

Deno.test("firstBeat: the floor, or a back-off bounded to 15 minutes", () => {
  assert.equal(firstBeat(null, null, T), T);
  assert.equal(firstBeat(T, null, T + M), T + 15 * M);
  assert.equal(firstBeat(T - HOUR, T + 30 * SECOND, T), T + 30 * SECOND);
  assert.equal(firstBeat(T - HOUR, T - SECOND, T), T);
  assert.equal(firstBeat(T - 10 * M, T + 30 * SECOND, T), T + 5 * M);
  assert.equal(firstBeat(T - HOUR, T + 5 * HOUR, T), T + 15 * M); // clock set back
});

Deno.test("retryAt: 30 s doubling, kept inside the 20-minute window while it can be", () => {
  // Beat confirmed at T; the beat at T+15 never reached the server, nor did the retries.
  const windowEnd = T + OFFLINE_AFTER_MS - RETRY_MARGIN_MS; // T+19:45
  const steps: [number, number, number][] = [
    [1, T + 15 * M, T + 15 * M + 30 * SECOND],
    [2, T + 15 * M + 30 * SECOND, T + 16 * M + 30 * SECOND],
    [3, T + 16 * M + 30 * SECOND, T + 18 * M + 30 * SECOND],
    [4, T + 18 * M + 30 * SECOND, windowEnd], // 240 s would miss the window: 75 s
    [5, windowEnd, windowEnd + 8 * M], // window gone: back-off as usual
    [6, windowEnd + 8 * M, windowEnd + 8 * M + 15 * M], // 16 min capped to 15
    [9, T + 5 * HOUR, T + 5 * HOUR + 15 * M],
  ];
  for (const [failures, now, expected] of steps) {
    assert.equal(retryAt(failures, T, T, now), expected, `failure ${failures}`);
  }
  // Less than 5 s of window left is not worth squeezing into.
  assert.equal(retryAt(4, T, T, windowEnd - 2 * SECOND), windowEnd - 2 * SECOND + 4 * M);
  // Never a confirmed beat: plain back-off.
  assert.equal(retryAt(1, null, null, T), T + 30 * SECOND);
  assert.equal(retryAt(30, null, null, T), T + 15 * M);
  // Never before the floor of the last request that did reach the server.
  assert.equal(retryAt(1, T, T + 14 * M, T + 14 * M + SECOND), T + 29 * M);
});

Deno.test("realElapsed: the wall clock when plausible, else the sleep", () => {
  const cases: [number, number, number][] = [
    [0, 0, 0],
    [250, 0, 250], // a request
    [MAX_STEP_MS, 0, MAX_STEP_MS],
    [MAX_STEP_MS + 1, 0, 0], // jumped forward during a request
    [HOUR, 0, 0],
    [-HOUR, 0, 0], // jumped back during a request
    [-STEP_TOLERANCE_MS, 0, 0], // a small step back counts as nothing
    [15 * M, 15 * M, 15 * M], // a sleep
    [15 * M + 3, 15 * M, 15 * M + 3], // woke a little late
    [15 * M - 3, 15 * M, 15 * M - 3], // woke a little early by the wall clock
    [15 * M + HOUR, 15 * M, 15 * M], // jumped forward during the sleep
    [15 * M - HOUR, 15 * M, 15 * M], // jumped back during the sleep
  ];
  for (const [delta, slept, expected] of cases) {
    assert.equal(realElapsed(delta, slept), expected, `delta ${delta} slept ${slept}`);
  }
});

Deno.test("property: every schedule lies in [now, now+15min] and respects the floor", () => {
  fc.assert(
    fc.property(
      time,
      fc.option(near),
      near,
      fc.option(near),
      fc.integer({ min: 1, max: 60 }),
      (now, lastOffset, markOffset, otherOffset, failures) => {
        const last = lastOffset === null ? null : now + lastOffset;
        const other = otherOffset === null ? null : now + otherOffset;
        const results = [
          earliestBeat(last, now),
          nextMark(now + markOffset, last, now),
          firstBeat(last, other, now),
          retryAt(failures, other, last, now),
        ];
        for (const result of results) {
          withinInterval(result, now);
          if (last !== null && last <= now) assert.ok(result >= last + BEAT_INTERVAL_MS);
        }
      },
    ),
    { numRuns: 20_000 },
  );
});

Deno.test("property: nextMark keeps the marks when the clock behaves", () => {
  fc.assert(
    fc.property(time, fc.integer({ min: 0, max: 15 * SECOND }), (mark, took) => {
      // Sent on the mark, the request took `took`: the next mark is exactly 15 minutes on.
      assert.equal(nextMark(mark, mark, mark + took), mark + BEAT_INTERVAL_MS);
    }),
  );
});

Deno.test("property: realElapsed is never negative and never more than the step allows", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -10 * HOUR, max: 10 * HOUR }),
      fc.integer({ min: 0, max: 15 * M }),
      (delta, slept) => {
        const elapsed = realElapsed(delta, slept);
        assert.ok(elapsed >= 0);
        assert.ok(elapsed <= slept + MAX_STEP_MS);
        assert.ok(elapsed >= slept - STEP_TOLERANCE_MS);
        if (delta >= slept && delta <= slept + MAX_STEP_MS) assert.equal(elapsed, delta);
      },
    ),
    { numRuns: 20_000 },
  );
});

Deno.test("property: a loop on these rules keeps DynamIP's floor through clock jumps", () => {
  // A model of the heartbeat loop: steady time advances by realElapsed(wall delta, slept), marks
  // come from nextMark in steady time; a restart knows only the wall clock and lastRequestAt.
  const jump = fc.oneof(
    fc.constant(0),
    fc.integer({ min: -2 * HOUR, max: 2 * HOUR }),
    fc.integer({ min: -5 * SECOND, max: 5 * SECOND }),
  );
  const event = fc.record({
    jump,
    restart: fc.boolean(),
    took: fc.integer({ min: 0, max: 15 * SECOND }),
  });
  fc.assert(
    fc.property(fc.array(event, { minLength: 1, maxLength: 40 }), (events) => {
      let trueNow = T;
      let wall = T;
      let steady = wall;
      let persisted: number | null = null; // lastRequestAt, wall clock
      let lastRequest: number | null = null; // steady
      let lastSent: number | null = null; // true time
      let target = earliestBeat(persisted, steady);
      let previous = { jump: 0, restart: true, took: 0 };
      for (const e of events) {
        const wait = target - steady;
        assert.ok(wait >= 0 && wait <= BEAT_INTERVAL_MS);
        trueNow += wait;
        wall += wait;
        steady += realElapsed(wait, wait);
        if (lastSent !== null) {
          const gap = trueNow - lastSent;
          if (previous.jump === 0 || !previous.restart) {
            // Within one process the floor holds whatever the clock did, up to a forward jump
            // small enough to pass for request time; a restart holds it when the clock held.
            assert.ok(gap >= BEAT_INTERVAL_MS - Math.max(0, previous.jump), `gap ${gap}`);
          }
          if (!previous.restart) {
            const slack = previous.took + STEP_TOLERANCE_MS;
            assert.ok(gap <= BEAT_INTERVAL_MS + slack, `gap ${gap}`);
          }
        }
        lastSent = trueNow;
        persisted = wall;
        lastRequest = steady;
        const mark = target;
        trueNow += e.took;
        wall += e.took + e.jump;
        steady += realElapsed(e.took + e.jump, 0);
        if (e.restart) {
          steady = wall;
          lastRequest = persisted;
          target = earliestBeat(persisted, steady);
        } else {
          target = nextMark(mark, lastRequest, steady);
        }
        previous = e;
      }
    }),
    { numRuns: 5000 },
  );
});
