import assert from "node:assert/strict";
import { HOUR, MINUTE, SECOND } from "../lib/config/duration.ts";
import {
  defaultNetworkUp,
  hasRoutableAddress,
  SANE_CLOCK_AFTER,
  type StartupOptions,
  waitUntilReady,
} from "../lib/daemon/startup.ts";
import { FakeClock } from "./helpers/fake_clock.ts";

const JUNE_2026 = Date.UTC(2026, 5, 1, 12, 0, 0);
const BOOT_WITHOUT_RTC = Date.UTC(1970, 0, 1, 0, 0, 5);
const ALL: StartupOptions = {
  delayMs: 0,
  waitForClock: true,
  waitForNetwork: true,
  maxWaitMs: 5 * MINUTE,
};

Deno.test("SANE_CLOCK_AFTER is 2026-01-01 UTC", () => {
  assert.equal(new Date(SANE_CLOCK_AFTER).toISOString(), "2026-01-01T00:00:00.000Z");
});

Deno.test("ready at once when the clock is set and the network is up", async () => {
  const clock = new FakeClock(JUNE_2026);
  const result = await waitUntilReady(ALL, { clock, networkUp: () => true });
  assert.deepEqual(result, { kind: "ready", waitedMs: 0, notes: [] });
  assert.equal(clock.now(), JUNE_2026);
});

Deno.test("nothing asked: ready at once even with a 1970 clock and no network", async () => {
  const clock = new FakeClock(BOOT_WITHOUT_RTC);
  const result = await waitUntilReady(
    { delayMs: 0, waitForClock: false, waitForNetwork: false, maxWaitMs: MINUTE },
    { clock, networkUp: () => false },
  );
  assert.deepEqual(result, { kind: "ready", waitedMs: 0, notes: [] });
});

Deno.test("the delay is waited first, then the conditions", async () => {
  const clock = new FakeClock(JUNE_2026);
  let askedAt: number | null = null;
  const result = await waitUntilReady({ ...ALL, delayMs: 30 * SECOND }, {
    clock,
    networkUp: () => {
      askedAt ??= clock.now();
      return true;
    },
  });
  assert.equal(askedAt, JUNE_2026 + 30 * SECOND);
  assert.deepEqual(result, {
    kind: "ready",
    waitedMs: 30 * SECOND,
    notes: ["waited 30s as startup.delay asks"],
  });
});

Deno.test("waits for NTP to step a 1970 clock, counting sleeps, not clock readings", async () => {
  const clock = new FakeClock(BOOT_WITHOUT_RTC);
  const ntp = clock.sleep(42 * SECOND).then(() => clock.set(JUNE_2026));
  const result = await waitUntilReady(ALL, { clock, networkUp: () => true });
  await ntp;
  assert.equal(result.kind, "ready");
  assert.ok(result.kind === "ready");
  // The clock jumped 56 years; the wait is still measured as the 42 seconds slept.
  assert.equal(result.waitedMs, 42 * SECOND);
  assert.deepEqual(result.notes, ["the clock is set (waited 42s)"]);
});

Deno.test("waits for the network, polling at pollMs", async () => {
  const clock = new FakeClock(JUNE_2026);
  let polls = 0;
  const upAt = JUNE_2026 + 10 * SECOND;
  const result = await waitUntilReady(ALL, {
    clock,
    pollMs: 2 * SECOND,
    networkUp: () => {
      polls++;
      return clock.now() >= upAt;
    },
  });
  assert.deepEqual(result, {
    kind: "ready",
    waitedMs: 10 * SECOND,
    notes: ["a network interface has an address (waited 10s)"],
  });
  assert.equal(polls, 6);
});

Deno.test("gives up after maxWait and names every condition that still fails", async () => {
  const clock = new FakeClock(BOOT_WITHOUT_RTC);
  const result = await waitUntilReady({ ...ALL, maxWaitMs: 90 * SECOND }, {
    clock,
    pollMs: 7 * SECOND,
    networkUp: () => false,
  });
  assert.equal(result.kind, "gave-up");
  assert.ok(result.kind === "gave-up");
  assert.match(result.reason, /^after waiting 1m 30s \(startup\.maxWait\), /);
  assert.match(result.reason, /the clock reads 1970-01-01T00:01:35\.000Z, before 2026-01-01/);
  assert.match(result.reason, /no network interface has an address/);
  // The last poll is shortened so that the wait ends exactly at maxWait.
  assert.equal(clock.now(), BOOT_WITHOUT_RTC + 90 * SECOND);
});

Deno.test("maxWait 0 looks once and gives up without sleeping", async () => {
  const clock = new FakeClock(JUNE_2026);
  const result = await waitUntilReady({ ...ALL, maxWaitMs: 0 }, { clock, networkUp: () => false });
  assert.equal(result.kind, "gave-up");
  assert.equal(clock.now(), JUNE_2026);
});

Deno.test("an abort during the delay or the wait returns aborted at once", async () => {
  const clock = new FakeClock(JUNE_2026);
  const before = new AbortController();
  before.abort();
  assert.deepEqual(
    await waitUntilReady(ALL, { clock, networkUp: () => true, signal: before.signal }),
    { kind: "aborted" },
  );

  const inDelay = new AbortController();
  const delayed = waitUntilReady({ ...ALL, delayMs: HOUR }, {
    clock,
    networkUp: () => true,
    signal: inDelay.signal,
  });
  inDelay.abort();
  assert.deepEqual(await delayed, { kind: "aborted" });

  const inWait = new AbortController();
  let polls = 0;
  const result = await waitUntilReady(ALL, {
    clock,
    signal: inWait.signal,
    networkUp: () => {
      if (++polls === 3) inWait.abort();
      return false;
    },
  });
  assert.deepEqual(result, { kind: "aborted" });
  assert.equal(polls, 3);
});

Deno.test("hasRoutableAddress ignores loopback and link-local addresses", () => {
  const only = (...addresses: string[]) =>
    hasRoutableAddress(addresses.map((address) => ({ address })));
  assert.equal(only(), false);
  assert.equal(only("127.0.0.1", "::1", "169.254.10.20", "fe80::1", "FEBF::2"), false);
  assert.equal(only("127.0.0.1", "192.168.1.20"), true);
  assert.equal(only("::1", "2001:db8::20"), true);
  assert.equal(only("fd00::5"), true);
});

Deno.test("defaultNetworkUp reads the real interfaces", () => {
  assert.equal(defaultNetworkUp(), hasRoutableAddress(Deno.networkInterfaces()));
});
