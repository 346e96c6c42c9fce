import assert from "node:assert/strict";
import {
  DAY,
  formatDuration,
  HOUR,
  MINUTE,
  parseDuration,
  SECOND,
} from "../lib/config/duration.ts";

Deno.test("duration units are consistent", () => {
  assert.equal(SECOND, 1000);
  assert.equal(MINUTE, 60_000);
  assert.equal(HOUR, 3_600_000);
  assert.equal(DAY, 86_400_000);
});

Deno.test("parseDuration: accepted forms", () => {
  const cases: [string, number][] = [
    ["500ms", 500],
    ["0s", 0],
    ["90s", 90 * SECOND],
    ["5m", 5 * MINUTE],
    ["1h30m", HOUR + 30 * MINUTE],
    ["25d", 25 * DAY],
    ["1d2h3m4s5ms", DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND + 5],
    ["  15m\n", 15 * MINUTE],
    ["1m1m", 2 * MINUTE],
  ];
  for (const [text, expected] of cases) assert.equal(parseDuration(text), expected, text);
});

Deno.test("parseDuration: malformed forms are null", () => {
  const cases = [
    "",
    " ",
    "5",
    "m",
    "5 m",
    "5min",
    "1.5h",
    "-5m",
    "+5m",
    "5M",
    "1h 30m",
    "5m!",
    "ms",
  ];
  for (const text of cases) assert.equal(parseDuration(text), null, JSON.stringify(text));
});

Deno.test("formatDuration: whole seconds, largest units first", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [499, "0s"],
    [500, "1s"],
    [90 * SECOND, "1m 30s"],
    [HOUR + MINUTE + SECOND, "1h 1m 1s"],
    [15 * MINUTE, "15m"],
    [25 * DAY, "25d"],
    [DAY + 5 * SECOND, "1d 5s"],
    [-90 * SECOND, "-1m 30s"],
    [-400, "0s"],
  ];
  for (const [ms, expected] of cases) assert.equal(formatDuration(ms), expected, String(ms));
});

Deno.test("formatDuration and parseDuration round-trip whole seconds", () => {
  for (const ms of [SECOND, 59 * SECOND, 61 * MINUTE, 3 * DAY + 7 * HOUR + 59 * SECOND]) {
    const text = formatDuration(ms).replaceAll(" ", "");
    assert.equal(parseDuration(text), ms, text);
  }
});
