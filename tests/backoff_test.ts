import assert from "node:assert/strict";
import {
  backoffDelay,
  FIRST_BACKOFF_MS,
  MAX_BACKOFF_MS,
  PROVIDER_BACKOFF,
} from "../lib/backoff.ts";
import { MINUTE, SECOND } from "../lib/config/duration.ts";

const middle = () => 0.5;

Deno.test("backoff: constants", () => {
  assert.equal(FIRST_BACKOFF_MS, 30 * SECOND);
  assert.equal(MAX_BACKOFF_MS, 30 * MINUTE);
});

Deno.test("backoff: 30 s doubling without jitter, capped at 30 min", () => {
  const cases: [number, number][] = [
    [0, 30 * SECOND],
    [1, 30 * SECOND],
    [2, MINUTE],
    [3, 2 * MINUTE],
    [4, 4 * MINUTE],
    [5, 8 * MINUTE],
    [6, 16 * MINUTE],
    [7, 30 * MINUTE],
    [8, 30 * MINUTE],
    [100, 30 * MINUTE],
    [5000, 30 * MINUTE],
  ];
  for (const [failures, expected] of cases) {
    assert.equal(
      backoffDelay(failures, PROVIDER_BACKOFF, middle),
      expected,
      `failures=${failures}`,
    );
  }
});

Deno.test("backoff: jitter spans ±20 % and never exceeds the cap", () => {
  assert.equal(backoffDelay(1, PROVIDER_BACKOFF, () => 0), 24 * SECOND);
  assert.equal(backoffDelay(1, PROVIDER_BACKOFF, () => 0.999999), 36 * SECOND);
  assert.equal(backoffDelay(6, PROVIDER_BACKOFF, () => 0), 16 * MINUTE * 0.8);
  assert.equal(backoffDelay(6, PROVIDER_BACKOFF, () => 0.999999), Math.round(16 * MINUTE * 1.2));
  assert.equal(backoffDelay(7, PROVIDER_BACKOFF, () => 0), 24 * MINUTE);
  assert.equal(backoffDelay(7, PROVIDER_BACKOFF, () => 0.999999), MAX_BACKOFF_MS);
  assert.equal(backoffDelay(1000, PROVIDER_BACKOFF, () => 0.999999), MAX_BACKOFF_MS);
});

Deno.test("backoff: every delay within bounds for many random draws", () => {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let failures = 1; failures <= 20; failures++) {
    const base = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (failures - 1));
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(failures, PROVIDER_BACKOFF, random);
      assert.ok(Number.isInteger(delay));
      assert.ok(delay >= Math.round(base * 0.8), `${delay} < 0.8 × ${base}`);
      assert.ok(delay <= Math.min(MAX_BACKOFF_MS, Math.round(base * 1.2)), `${delay} too long`);
    }
  }
});

Deno.test("backoff: non-decreasing in failures for a fixed draw", () => {
  for (const r of [0, 0.25, 0.5, 0.75, 0.999]) {
    let previous = 0;
    for (let failures = 1; failures <= 30; failures++) {
      const delay = backoffDelay(failures, PROVIDER_BACKOFF, () => r);
      assert.ok(delay >= previous);
      previous = delay;
    }
  }
});
