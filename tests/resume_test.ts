import assert from "node:assert/strict";
import { NOIP } from "../lib/providers/dyndns2/profiles.ts";
import type { DynamipProvider, Dyndns2Provider } from "../lib/config/types.ts";
import type { Logger } from "../lib/log/mod.ts";
import {
  clearStop,
  liftChangedStops,
  requestResume,
  resumeRequestPath,
  stopOf,
  takeResumeRequest,
  withdrawResume,
} from "../lib/state/resume.ts";
import { emptyState, type State, type Stop } from "../lib/state/mod.ts";
import { emptyDynamip } from "../lib/providers/dynamip/entry.ts";
import { emptyDyndns2 } from "../lib/providers/dyndns2/entry.ts";
import { StateStore } from "../lib/state/store.ts";
import { recordingNotices } from "./helpers/context.ts";
import { FakeClock } from "./helpers/fake_clock.ts";
import { tempDir } from "./helpers/temp_dir.ts";

const AT = "2026-01-01T10:00:00.000Z";
const BACKOFF = { failures: 3, from: { at: AT, mono: 1 }, ms: 60_000 };
const WAIT = { code: "911", from: { at: AT, mono: 1 }, ms: 1_800_000 };

function stop(code: string, fingerprint: string, hosts: string[] = []): Stop {
  return { code, hosts, at: AT, fingerprint };
}

function noip(name: string, fingerprint: string, user = name): Dyndns2Provider {
  return {
    kind: "dyndns2",
    profile: NOIP,
    key: `dyndns2 https://dynupdate.no-ip.com ${user}`,
    name,
    username: user,
    password: "S3cr3t-PW!",
    passwordSource: "password inline in the config",
    userAgentContact: "dnsbeat@users.noreply.github.com",
    hostnames: ["a.ddns.net"],
    server: "https://dynupdate.no-ip.com",
    serverAsWritten: "https://dynupdate.no-ip.com",
    families: ["ipv4"],
    intervalMs: 300_000,
    forceRefreshMs: 0,
    fingerprint,
  };
}

function dynamip(name: string, fingerprint: string): DynamipProvider {
  return {
    kind: "dynamip",
    key: `dynamip http://www.dynamip.com ${name}`,
    name,
    siteId: name,
    password: "S3cr3t-PW!",
    passwordSource: "password inline in the config",
    ip: "detect",
    server: "http://www.dynamip.com",
    serverAsWritten: "http://www.dynamip.com",
    fingerprint,
  };
}

function state(): State {
  const s = emptyState();
  s.providers[noip("home", "").key] = {
    ...emptyDyndns2("home"),
    stop: stop("nohost", "fp-old", ["b.ddns.net"]),
    wait: WAIT,
    backoff: BACKOFF,
  };
  s.providers[dynamip("site", "").key] = {
    ...emptyDynamip("site"),
    useAuto: true,
    stop: stop("Account Expired", "fp-site"),
    backoff: BACKOFF,
  };
  s.providers[noip("calm", "").key] = { ...emptyDyndns2("calm"), backoff: BACKOFF };
  return s;
}

function collector(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (m: string) => lines.push(`${level}: ${m}`);
  return {
    lines,
    log: { error: push("error"), warn: push("warn"), info: push("info"), debug: push("debug") },
  };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  await using tmp = await tempDir("resume");
  const dir = tmp.path;
  await fn(dir);
}

Deno.test("stopOf: by identity, whatever the provider's name", () => {
  const s = state();
  assert.deepEqual(stopOf(s, noip("home", "x")), stop("nohost", "fp-old", ["b.ddns.net"]));
  assert.deepEqual(stopOf(s, noip("renamed", "x", "home")), stopOf(s, noip("home", "x")));
  assert.equal(stopOf(s, noip("calm", "x")), null);
  assert.equal(stopOf(s, noip("nobody", "x")), null);
});

Deno.test("clearStop: lifts the stop only; the 911 wait and the back-off still hold", () => {
  const s = state();
  assert.deepEqual(clearStop(s, noip("home", "x")), stop("nohost", "fp-old", ["b.ddns.net"]));
  const home = s.providers[noip("home", "x").key]!;
  assert.ok(home.type === "dyndns2");
  assert.equal(home.stop, null);
  assert.deepEqual(home.wait, WAIT);
  assert.deepEqual(home.backoff, BACKOFF);
  assert.equal(clearStop(s, noip("home", "x")), null, "nothing left to lift");
});

Deno.test("clearStop: DynamIP's switch to AUTO ends with its stop", () => {
  const s = state();
  clearStop(s, dynamip("site", "x"));
  const site = s.providers[dynamip("site", "x").key]!;
  assert.ok(site.type === "dynamip");
  assert.equal(site.stop, null);
  assert.equal(site.useAuto, false);
});

Deno.test("clearStop: no stop, or no entry, is no change", () => {
  const s = state();
  assert.equal(clearStop(s, noip("calm", "x")), null);
  assert.equal(clearStop(s, noip("nobody", "x")), null);
  assert.deepEqual(s, state());
});

Deno.test("liftChangedStops: lifts and logs only providers whose fingerprint changed", async () => {
  const writes: State[] = [];
  const store = new StateStore("/x/state.json", state(), (_path, s) => {
    writes.push(structuredClone(s));
    return Promise.resolve();
  });
  const { log, lines } = collector();
  const notify = recordingNotices();
  await liftChangedStops(
    { store, log, notify, clock: new FakeClock() },
    [noip("home", "fp-new"), dynamip("site", "fp-site"), noip("calm", "fp-calm")],
  );
  assert.deepEqual(notify.events.map((e) => [e.kind, e.provider, e.reply]), [
    ["resumed", "home", "nohost"],
  ]);
  assert.equal(writes.length, 1);
  assert.equal(stopOf(store.state, noip("home", "")), null);
  assert.notEqual(stopOf(store.state, dynamip("site", "")), null);
  assert.deepEqual(lines, [
    `info: Provider "home": its credentials or hostnames changed since the stop (stopped by nohost at ${AT}); updates resume.`,
  ]);
});

Deno.test("liftChangedStops: nothing changed means no write and no log", async () => {
  let writes = 0;
  const store = new StateStore("/x/state.json", state(), () => {
    writes++;
    return Promise.resolve();
  });
  const { log, lines } = collector();
  const notify = recordingNotices();
  await liftChangedStops(
    { store, log, notify, clock: new FakeClock() },
    [noip("home", "fp-old"), dynamip("site", "fp-site")],
  );
  assert.deepEqual(notify.events, []);
  assert.equal(writes, 0);
  assert.deepEqual(lines, []);
});

const HOME_STOP = {
  key: "noip https://dynupdate.no-ip.com me",
  name: "home",
  code: "badauth",
  at: "2026-01-01T00:00:00.000Z",
};
const SITE_STOP = {
  key: "dynamip http://www.dynamip.com George",
  name: "site",
  code: "Invalid UserID/Password",
  at: "2026-01-01T00:05:00.000Z",
};

Deno.test("requestResume / takeResumeRequest: round trip, then nothing", async () => {
  await withTempDir(async (dir) => {
    const statePath = `${dir}/state.json`;
    assert.equal(resumeRequestPath(statePath), `${statePath}.resume`);
    assert.equal(await takeResumeRequest(statePath), null);

    await requestResume(statePath, {
      stops: [HOME_STOP, SITE_STOP],
      edited: { path: "/etc/x.json", modified: 5 },
    });
    assert.equal(
      (await Deno.stat(resumeRequestPath(statePath))).mode! & 0o777,
      0o644,
      "readable by a daemon running as another user",
    );
    const entries: string[] = [];
    for await (const e of Deno.readDir(dir)) entries.push(e.name);
    assert.deepEqual(entries, ["state.json.resume"], "no temp file left");

    assert.deepEqual(await takeResumeRequest(statePath), {
      stops: [HOME_STOP, SITE_STOP],
      edited: { path: "/etc/x.json", modified: 5 },
    });
    assert.equal(await takeResumeRequest(statePath), null);
    const left: string[] = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assert.deepEqual(left, [], "taking leaves nothing behind");
  });
});

Deno.test("withdrawResume: a request nobody took is taken back; one taken cannot be", async () => {
  await withTempDir(async (dir) => {
    const statePath = `${dir}/state.json`;
    await requestResume(statePath, { stops: [HOME_STOP], edited: null });
    assert.equal(await withdrawResume(statePath), true);
    assert.equal(await takeResumeRequest(statePath), null, "nothing left to lift a later stop");
    await requestResume(statePath, { stops: [HOME_STOP], edited: null });
    assert.ok(await takeResumeRequest(statePath));
    assert.equal(await withdrawResume(statePath), false, "the daemon took it first");
  });
});

Deno.test("takeResumeRequest: a malformed request, or one of an older dnsbeat, names no stop", async () => {
  await withTempDir(async (dir) => {
    const statePath = `${dir}/state.json`;
    const path = resumeRequestPath(statePath);
    const cases: [string, unknown[]][] = [
      ["garbage", []],
      ["null", []],
      ['{"providers":["home"]}', []],
      ['{"stops":"home"}', []],
      [JSON.stringify({ stops: [HOME_STOP, 5, { name: "x" }, SITE_STOP] }), [HOME_STOP, SITE_STOP]],
    ];
    for (const [text, expected] of cases) {
      await Deno.writeTextFile(path, text);
      assert.deepEqual(await takeResumeRequest(statePath), { stops: expected, edited: null }, text);
      await assert.rejects(() => Deno.stat(path), Deno.errors.NotFound);
    }
  });
});
