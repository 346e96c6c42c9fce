import assert from "node:assert/strict";
import type { Dyndns2Provider } from "../lib/config/types.ts";
import { DAY, MINUTE, SECOND } from "../lib/config/duration.ts";
import { NOIP } from "../lib/providers/dyndns2/profiles.ts";
import { runDyndns2 } from "../lib/providers/dyndns2/round.ts";
import type { HttpGetRequest, HttpResult } from "../lib/net/http.ts";
import { LOOK_GAP_MS, LOOK_SETTLE_MS, Looks } from "../lib/daemon/looks.ts";
import { testContext } from "./helpers/context.ts";

const START_IP = "81.2.69.142";
const NEW_IP = "81.2.69.160";

const provider: Dyndns2Provider = {
  kind: "dyndns2",
  profile: NOIP,
  key: "dyndns2 http://127.0.0.1:9 me@example.com",
  name: "home",
  username: "me@example.com",
  password: "Pw-for-look-tests!",
  passwordSource: "password inline in the config",
  userAgentContact: "dnsbeat@users.noreply.github.com",
  hostnames: ["a.ddns.net"],
  server: "http://127.0.0.1:9",
  serverAsWritten: "http://127.0.0.1:9",
  families: ["ipv4"],
  intervalMs: 5 * MINUTE,
  forceRefreshMs: 25 * DAY,
  fingerprint: "fp-1",
};

/** A loop against a server answering `reply`, counting requests and detections by time. */
function world(reply: (myip: string) => string) {
  const requests: number[] = [];
  const detections: number[] = [];
  const address = { ipv4: START_IP };
  const t = testContext({
    httpGet: (r: HttpGetRequest): Promise<HttpResult> => {
      requests.push(t.clock.mono());
      const myip = new URL(r.url).searchParams.get("myip") ?? "";
      return Promise.resolve({ kind: "reply", status: 200, body: reply(myip), truncated: false });
    },
    detect: () => {
      detections.push(t.clock.mono());
      return Promise.resolve({ kind: "found", ip: address.ipv4, source: "test" });
    },
  });
  const controller = new AbortController();
  const loop = runDyndns2(t.ctx, provider, { stop: controller.signal, abort: controller.signal });
  const t0 = t.clock.mono();
  return {
    t,
    t0,
    address,
    requests,
    detections,
    /** Asks to look `count` times, `apartMs` apart. */
    async burst(count: number, apartMs: number) {
      for (let i = 0; i < count; i++) {
        t.ctx.looks.ask(t.clock.mono());
        await t.clock.sleep(apartMs);
      }
    },
    async end() {
      controller.abort();
      await loop;
    },
  };
}

Deno.test("a burst of 20 looks in one second is one round, once the burst settled", async () => {
  const w = world((ip) => `good ${ip}`);
  await w.t.clock.sleep(MINUTE);
  w.address.ipv4 = NEW_IP;
  await w.burst(20, 50);
  await w.t.clock.sleep(10 * SECOND);
  assert.equal(w.detections.length, 2, "the first round and one look");
  assert.equal(w.detections[1]! - w.t0, MINUTE + LOOK_SETTLE_MS);
  assert.equal(w.requests.length, 2, "the change went out at the look, not 4 minutes later");
  // The interval counts from the looked-for round.
  await w.t.clock.sleep(5 * MINUTE);
  assert.deepEqual(w.detections.map((d) => d - w.t0), [
    0,
    MINUTE + LOOK_SETTLE_MS,
    6 * MINUTE + LOOK_SETTLE_MS,
  ]);
  await w.end();
});

Deno.test("a look right after a round waits until 30 s after it", async () => {
  const w = world((ip) => `good ${ip}`);
  await w.t.clock.sleep(5 * SECOND);
  await w.burst(1, 0);
  await w.t.clock.sleep(MINUTE);
  assert.equal(w.detections[1]! - w.t0, LOOK_GAP_MS);
  await w.end();
});

Deno.test("a look asked while the round ran brings the next round forward too", async () => {
  const w = world((ip) => `good ${ip}`);
  // Asked at the instant the first round started: that round may have looked too early.
  w.t.ctx.looks.ask(w.t0);
  await w.t.clock.sleep(MINUTE);
  assert.equal(w.detections[1]! - w.t0, LOOK_GAP_MS);
  await w.end();
});

Deno.test("looks during a 911 wait send nothing before its 30 minutes", async () => {
  const w = world(() => "911");
  for (let minute = 1; minute < 27; minute += 3) {
    await w.t.clock.sleep(3 * MINUTE);
    w.address.ipv4 = `81.2.69.${100 + minute}`;
    await w.burst(5, SECOND);
  }
  assert.equal(w.requests.length, 1, "nothing within the wait");
  await w.t.clock.sleep(10 * MINUTE);
  const [first, second] = w.requests;
  assert.ok(second !== undefined && second - first! >= 30 * MINUTE, `${w.requests}`);
  await w.end();
});

Deno.test("Looks: every waiter wakes once per ask, and the time of the last ask is kept", () => {
  const looks = new Looks();
  const first = looks.asked;
  assert.equal(looks.lastAt, null);
  looks.ask(42);
  assert.ok(first.aborted);
  assert.ok(!looks.asked.aborted, "a fresh signal for the next waiters");
  assert.equal(looks.lastAt, 42);
});
