import assert from "node:assert/strict";
import type { Config, DynamipProvider, NoipProvider } from "../lib/config_types.ts";
import { runDaemon } from "../lib/daemon.ts";
import { MINUTE } from "../lib/duration.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import type { HttpGetRequest, HttpResult } from "../lib/http.ts";
import { requestResume } from "../lib/resume.ts";
import type { NoipState } from "../lib/state.ts";
import { StateStore } from "../lib/state_store.ts";
import { emptyState } from "../lib/state.ts";
import { testContext } from "./helpers/context.ts";

const noip: NoipProvider = {
  type: "noip",
  name: "home",
  username: "me@example.com",
  password: "pw-daemon-noip",
  hostnames: ["a.ddns.net"],
  server: "http://127.0.0.1:9",
  families: ["ipv4"],
  intervalMs: 5 * MINUTE,
  forceRefreshMs: 0,
  fingerprint: "fp-noip",
};

const dynamip: DynamipProvider = {
  type: "dynamip",
  name: "site",
  siteId: "George",
  password: "pw-daemon-dyn",
  ip: "auto",
  server: "http://127.0.0.1:9",
  fingerprint: "fp-dyn",
};

function config(providers: Config["providers"]): Config {
  return {
    path: "/etc/dnsbeat/config.json",
    statePath: "/unused",
    ipv4Sources: [],
    ipv6Sources: [],
    timeoutMs: 15_000,
    logLevel: "debug",
    startup: { delayMs: 0, waitForClock: false, waitForNetwork: false, maxWaitMs: 0 },
    providers,
  };
}

const reply = (body: string): HttpResult => ({
  kind: "reply",
  status: 200,
  body,
  truncated: false,
});

/** No-IP answers `noipBody`; DynamIP confirms every beat. Counts requests per provider. */
function server(noipBody: () => string) {
  const count = { noip: 0, dynamip: 0 };
  const httpGet = (r: HttpGetRequest): Promise<HttpResult> => {
    if (r.url.includes("/nic/update")) {
      count.noip++;
      return Promise.resolve(reply(noipBody()));
    }
    count.dynamip++;
    return Promise.resolve(
      reply(
        "IP Address for George set to 81.2.69.142\r\nExpiry[[[4/2/2027 5:24:41 PM]]]\r\nRemain[[[3000]]]",
      ),
    );
  };
  return { count, httpGet };
}

Deno.test("a No-IP stop leaves DynamIP beating; every provider stopped ends the daemon with 3", async () => {
  const s = server(() => "badauth");
  const t = testContext({ httpGet: s.httpGet });
  const controller = new AbortController();
  const daemon = runDaemon(t.ctx, config([noip, dynamip]), controller.signal);
  const start = t.clock.now();
  while (t.clock.now() < start + 60 * MINUTE) await t.clock.sleep(MINUTE);
  assert.equal(s.count.noip, 1);
  assert.equal(s.count.dynamip, 5, "beats at 0, 15, 30, 45, 60 minutes");
  controller.abort();
  assert.equal(await daemon, ExitCode.Ok);

  const alone = testContext({ httpGet: server(() => "abuse").httpGet });
  assert.equal(
    await runDaemon(alone.ctx, config([noip]), new AbortController().signal),
    ExitCode.Stopped,
  );
  assert.ok(alone.logs.some((l) => l.includes("Every provider is stopped")));
});

Deno.test("a running daemon picks up `dnsbeat resume` and restarts the stopped provider", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let body = "badauth";
    const s = server(() => body);
    const t = testContext({ httpGet: s.httpGet });
    // The daemon looks for the resume request beside its state file.
    t.ctx.store = new StateStore(`${dir}/state.json`, emptyState(), () => Promise.resolve());
    const controller = new AbortController();
    const daemon = runDaemon(t.ctx, config([noip, dynamip]), controller.signal);
    const start = t.clock.now();
    while (t.clock.now() < start + 2 * MINUTE) await t.clock.sleep(10_000);
    assert.equal(s.count.noip, 1);
    body = "good 81.2.69.142";
    await requestResume(`${dir}/state.json`, ["home"]);
    while (t.clock.now() < start + 4 * MINUTE) await t.clock.sleep(10_000);
    assert.equal(s.count.noip, 2, "resumed: one request");
    const host = (t.ctx.store.state.providers.home as NoipState).hosts["a.ddns.net"]!;
    assert.equal(host.stop, null);
    assert.deepEqual(host.lastIp, ["81.2.69.142"]);
    assert.ok(t.logs.some((l) => l.includes("resumed by `dnsbeat resume`")));
    controller.abort();
    assert.equal(await daemon, ExitCode.Ok);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
