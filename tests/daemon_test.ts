import assert from "node:assert/strict";
import type { StopRef } from "../lib/state/resume.ts";
import { NOIP } from "../lib/providers/dyndns2/profiles.ts";
import type { ConfigResult } from "../lib/config/mod.ts";
import type { Config, DynamipProvider, Dyndns2Provider } from "../lib/config/types.ts";
import { ControlQueue } from "../lib/daemon/control.ts";
import { runDaemon } from "../lib/daemon/mod.ts";
import { MINUTE } from "../lib/config/duration.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import type { HttpGetRequest, HttpResult } from "../lib/net/http.ts";
import type { State } from "../lib/state/mod.ts";
import { type Dyndns2State } from "../lib/providers/dyndns2/entry.ts";
import { StateStore } from "../lib/state/store.ts";
import { testContext } from "./helpers/context.ts";

const noip: Dyndns2Provider = {
  kind: "dyndns2",
  profile: NOIP,
  key: "dyndns2 http://127.0.0.1:9 me@example.com",
  name: "home",
  username: "me@example.com",
  password: "pw-daemon-noip",
  passwordSource: "password inline in the config",
  userAgentContact: "dnsbeat@users.noreply.github.com",
  hostnames: ["a.ddns.net"],
  server: "http://127.0.0.1:9",
  serverAsWritten: "http://127.0.0.1:9",
  families: ["ipv4"],
  intervalMs: 5 * MINUTE,
  forceRefreshMs: 0,
  fingerprint: "fp-noip",
};

const dynamip: DynamipProvider = {
  kind: "dynamip",
  key: "dynamip http://127.0.0.1:9 George",
  name: "site",
  siteId: "George",
  password: "pw-daemon-dyn",
  passwordSource: "password inline in the config",
  ip: "auto",
  server: "http://127.0.0.1:9",
  serverAsWritten: "http://127.0.0.1:9",
  fingerprint: "fp-dyn",
};

function config(providers: Config["providers"]): Config {
  return {
    path: "/etc/dnsbeat/config.json",
    statePath: "/unused",
    ipv4Sources: [],
    ipv6Sources: [],
    resolver: null,
    notify: { sinks: [], failingAfterMs: 60 * 60_000 },
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

/** No-IP answers `noipBody(password)`; DynamIP confirms every beat. Counts requests. */
function server(noipBody: (password: string) => string) {
  const count = { noip: 0, dynamip: 0 };
  const httpGet = (r: HttpGetRequest): Promise<HttpResult> => {
    if (r.url.includes("/nic/update")) {
      count.noip++;
      const basic = atob((r.headers?.Authorization ?? "").replace("Basic ", ""));
      return Promise.resolve(reply(noipBody(basic.slice(basic.indexOf(":") + 1))));
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

/** A daemon over a test context; `file` is the config file's current content. */
function daemon(t: ReturnType<typeof testContext>, file: { config: ConfigResult }) {
  const control = new ControlQueue();
  const controller = new AbortController();
  const initial = file.config;
  assert.ok(initial.ok);
  const done = runDaemon(initial.config, controller.signal, {
    reload: () => Promise.resolve(file.config),
    contextFor: () => t.ctx,
    control,
  });
  return { control, controller, done };
}

const valid = (providers: Config["providers"]): ConfigResult => ({
  ok: true,
  config: config(providers),
  warnings: [],
});

function entry(t: ReturnType<typeof testContext>): Dyndns2State {
  return t.ctx.store.state.providers[noip.key] as Dyndns2State;
}

/** The stop of `home` as `dnsbeat resume` would name it now. */
function seen(t: ReturnType<typeof testContext>): StopRef {
  const stop = entry(t).stop!;
  return { key: noip.key, name: "home", code: stop.code, at: stop.at };
}

async function during(t: ReturnType<typeof testContext>, ms: number): Promise<void> {
  const end = t.clock.mono() + ms;
  while (t.clock.mono() < end) await t.clock.sleep(10_000);
}

Deno.test("a No-IP stop leaves DynamIP beating; every provider stopped ends the daemon with 3", async () => {
  const s = server(() => "badauth");
  const t = testContext({ httpGet: s.httpGet });
  const d = daemon(t, { config: valid([noip, dynamip]) });
  await during(t, 61 * MINUTE);
  assert.equal(s.count.noip, 1);
  assert.equal(s.count.dynamip, 5, "beats at 0, 15:05, 30:10, 45:15, 60:20");
  d.controller.abort();
  assert.equal(await d.done, ExitCode.Ok);

  const alone = testContext({ httpGet: server(() => "abuse").httpGet });
  const a = daemon(alone, { config: valid([noip]) });
  assert.equal(await a.done, ExitCode.Stopped);
  assert.ok(alone.logs.some((l) => l.includes("Every provider is stopped")));
});

Deno.test("resume reads the config again first: the fixed password is the one sent", async () => {
  const s = server((password) => password === "fixed-password" ? "good 81.2.69.142" : "badauth");
  const t = testContext({ httpGet: s.httpGet });
  const file = { config: valid([noip, dynamip]) };
  const d = daemon(t, file);
  await during(t, 2 * MINUTE);
  assert.equal(s.count.noip, 1);
  assert.equal(entry(t).stop?.code, "badauth");
  // The user fixes the password in the config, then runs `dnsbeat resume home`.
  file.config = valid([{ ...noip, password: "fixed-password", fingerprint: "fp-fixed" }, dynamip]);
  d.control.push({ kind: "resume", stops: [seen(t)], edited: null });
  await during(t, 2 * MINUTE);
  assert.equal(s.count.noip, 2, "resumed: one request");
  assert.equal(entry(t).stop, null);
  assert.deepEqual(entry(t).hosts["a.ddns.net"]?.sent, { ipv4: "81.2.69.142", ipv6: null });
  assert.ok(t.logs.some((l) => l.includes("read again (resume)")));
  d.controller.abort();
  assert.equal(await d.done, ExitCode.Ok);
});

Deno.test("resume with an invalid config keeps the stop and says why", async () => {
  const s = server(() => "badauth");
  const t = testContext({ httpGet: s.httpGet });
  const file = { config: valid([noip, dynamip]) };
  const d = daemon(t, file);
  await during(t, MINUTE);
  file.config = {
    ok: false,
    errors: ['providers[0].username: expected a non-empty string, found ""'],
  };
  d.control.push({ kind: "resume", stops: [seen(t)], edited: null });
  await during(t, 10 * MINUTE);
  assert.equal(s.count.noip, 1, "no second badauth");
  assert.equal(entry(t).stop?.code, "badauth");
  assert.ok(t.logs.some((l) => l.includes("providers[0].username")));
  assert.ok(t.logs.some((l) => l.includes("the resume was not done") && l.includes("stops stay")));
  d.controller.abort();
  await d.done;
});

Deno.test("a resume from a config edited after start, which this daemon reads only as a copy, is refused", async () => {
  const s = server(() => "badauth");
  const t = testContext({ httpGet: s.httpGet });
  const file = { config: valid([noip, dynamip]) };
  const d = daemon(t, file);
  await during(t, 2 * MINUTE);
  assert.equal(entry(t).stop?.code, "badauth");
  // systemd gave dnsbeat a copy; the user fixed /etc/dnsbeat/config.json, then resumed.
  const edited = { path: "/etc/dnsbeat/edited.json", modified: t.clock.now() };
  d.control.push({ kind: "resume", stops: [seen(t)], edited });
  await during(t, 10 * MINUTE);
  assert.equal(s.count.noip, 1, "the old password is not sent again");
  assert.equal(entry(t).stop?.code, "badauth");
  assert.ok(t.logs.some((l) => /Restart dnsbeat instead \(systemctl restart dnsbeat\)/.test(l)));
  // The same request for the config this daemon reads, or one edited before it started, resumes.
  d.control.push({ kind: "resume", stops: [seen(t)], edited: { ...edited, modified: 0 } });
  await during(t, 2 * MINUTE);
  assert.equal(entry(t).stop?.code, "badauth", "resumed, sent once, refused again");
  assert.equal(s.count.noip, 2);
  d.controller.abort();
  await d.done;
});

Deno.test("a reload applies a changed provider between requests and keeps its state", async () => {
  let ip = 142;
  const s = server(() => `good 81.2.69.${ip}`);
  const t = testContext({
    httpGet: s.httpGet,
    detect: () => Promise.resolve({ kind: "found", ip: `81.2.69.${ip}`, source: "test" }),
  });
  const file = { config: valid([noip]) };
  const d = daemon(t, file);
  await during(t, MINUTE);
  assert.equal(s.count.noip, 1);
  file.config = valid([{ ...noip, name: "renamed", intervalMs: MINUTE }]);
  d.control.push({ kind: "reload" });
  await during(t, 10 * MINUTE);
  assert.equal(s.count.noip, 1, "a rename keeps what was sent: nothing resent");
  assert.equal(entry(t).name, "renamed");
  ip = 160;
  await during(t, MINUTE + 1);
  assert.equal(s.count.noip, 2, "the new one-minute interval is in force");
  d.controller.abort();
  await d.done;
});

Deno.test("a failed save keeps every provider running, sends nothing, and is retried", async () => {
  let full = false;
  const s = server(() => "badauth");
  const t = testContext({ httpGet: s.httpGet });
  const saved: State[] = [];
  t.ctx.store = new StateStore("/x", t.ctx.store.state as State, (_path, state) => {
    if (full) return Promise.reject(new Error("/x: no space left on the device"));
    saved.push(structuredClone(state));
    return Promise.resolve();
  });
  const d = daemon(t, { config: valid([noip, dynamip]) });
  await during(t, 20 * MINUTE);
  const beats = s.count.dynamip;
  full = true;
  await during(t, 30 * MINUTE);
  assert.equal(s.count.dynamip, beats, "no beat can be written ahead, so none is sent");
  assert.ok(t.logs.some((l) => l.startsWith("error:") && l.includes("no space left")));
  full = false;
  await during(t, 20 * MINUTE);
  assert.ok(s.count.dynamip > beats, "beats resume once the state can be saved");
  assert.ok(t.logs.some((l) => l.includes("The state is saved again")));
  assert.equal(s.count.noip, 1);
  assert.equal(saved.at(-1)?.providers[noip.key]?.stop?.code, "badauth", "the stop is on disk");
  d.controller.abort();
  assert.equal(await d.done, ExitCode.Ok);
});
