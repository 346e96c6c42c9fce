/**
 * DynamIP precision: dnsbeat's heartbeat (`runHeartbeat`) driven for 30 simulated days by the
 * injected clock, every beat answered by the in-process emulator through dnsbeat's own HTTP code;
 * and how many times a day it writes its state (the in-memory store counts its writes).
 *
 * @module
 */
import { DAY } from "../../lib/config/duration.ts";
import { BEAT_PERIOD_MS } from "../../lib/providers/dynamip/schedule.ts";
import type { DynamipProvider } from "../../lib/config/types.ts";
import { runHeartbeat } from "../../lib/providers/dynamip/heartbeat.ts";
import { createEmulator } from "../../lib/emulator/mod.ts";
import { httpRequest } from "../../lib/net/http.ts";
import { FakeClock } from "../../tests/helpers/fake_clock.ts";
import { testContext } from "../../tests/helpers/context.ts";
import { summarizeBeats } from "./beats.ts";
import type { DynamipFigures } from "./types.ts";

const SITE = { siteId: "BenchSite", password: "bench-Dyn-Secret" };

/** Runs the heartbeat for `days` virtual days; every reply takes `latencyMs` of virtual time. */
export async function simulateDynamip(
  days: number,
  latencyMs: number,
): Promise<DynamipFigures> {
  const start = Date.UTC(2026, 0, 5, 0, 0, 0);
  const clock = new FakeClock(start);
  const emulator = createEmulator({
    clock,
    accounts: {
      noip: [],
      dynamip: [{ ...SITE, expiry: start + 400 * DAY }],
      echoIp: { ipv4: "81.2.69.142", ipv6: null },
    },
  });
  if (latencyMs > 0) {
    emulator.pushFault({ kind: "delay", ms: latencyMs, times: 1_000_000, target: "dynamip" });
  }
  const { ctx } = testContext({
    clock,
    httpGet: (request) =>
      httpRequest(request, (input, init) => {
        const req = input instanceof Request ? input : new Request(input, init);
        return emulator.handle(req, "127.0.0.1");
      }, clock),
  });
  const provider: DynamipProvider = {
    kind: "dynamip",
    key: "dynamip http://dynamip.invalid BenchSite",
    name: "bench",
    ...SITE,
    passwordSource: "password inline in the config",
    ip: "auto",
    server: "http://dynamip.invalid",
    serverAsWritten: "http://dynamip.invalid",
    fingerprint: "bench",
  };
  const controller = new AbortController();
  const writesAt: number[] = [];
  for (let day = 1; day <= days; day++) {
    clock.sleep(day * DAY).then(() => writesAt.push(ctx.store.writes));
  }
  const end = clock.sleep(days * DAY).then(() => controller.abort());
  const signals = { stop: controller.signal, abort: controller.signal };
  const ended = await runHeartbeat(ctx, provider, signals);
  await end;
  if (ended.kind !== "aborted") throw new Error(`the heartbeat ended early: ${ended.kind}`);
  const beats = emulator.requests.filter((r) => r.provider === "dynamip").map((r) => r.at);
  const site = emulator.dynamipSite(SITE.siteId);
  return {
    days,
    latencyMs,
    summary: summarizeBeats(beats, start, BEAT_PERIOD_MS, days),
    violations: site.violations,
    offlineResets: site.offlineResets,
    writesPerDay: writesAt.map((n, i) => n - (writesAt[i - 1] ?? 0)),
  };
}
