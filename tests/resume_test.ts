import assert from "node:assert/strict";
import type { DynamipProvider, NoipProvider } from "../lib/config_types.ts";
import type { Logger } from "../lib/log.ts";
import {
  clearStops,
  liftChangedStops,
  requestResume,
  resumeRequestPath,
  stopsOf,
  takeResumeRequest,
} from "../lib/resume.ts";
import { emptyDynamip, emptyHost, emptyState, type State, type Stop } from "../lib/state.ts";
import { StateStore } from "../lib/state_store.ts";

const AT = "2026-01-01T10:00:00.000Z";
const LATER = "2026-01-02T10:00:00.000Z";

function stop(code: string, fingerprint: string, at = AT): Stop {
  return { code, message: `${code} happened`, at, fingerprint };
}

function state(): State {
  const s = emptyState();
  s.providers.home = {
    type: "noip",
    hosts: {
      "a.ddns.net": { ...emptyHost(), stop: stop("badauth", "fp-old") },
      "b.ddns.net": { ...emptyHost(), stop: stop("badauth", "fp-old") },
      "c.ddns.net": { ...emptyHost(), stop: stop("nohost", "fp-new", LATER) },
      "d.ddns.net": emptyHost(),
    },
    backoff: { failures: 3, until: LATER },
  };
  s.providers.site = {
    ...emptyDynamip(),
    useAuto: true,
    stop: stop("Account Expired", "fp-site"),
    backoff: { failures: 1, until: LATER },
  };
  s.providers.calm = {
    type: "noip",
    hosts: { "e.ddns.net": emptyHost() },
    backoff: { failures: 2, until: LATER },
  };
  return s;
}

function noip(name: string, fingerprint: string): NoipProvider {
  return {
    type: "noip",
    name,
    username: "user",
    password: "S3cr3t-PW!",
    hostnames: ["a.ddns.net"],
    server: "https://dynupdate.no-ip.com",
    families: ["ipv4"],
    intervalMs: 300_000,
    forceRefreshMs: 0,
    fingerprint,
  };
}

function dynamip(name: string, fingerprint: string): DynamipProvider {
  return {
    type: "dynamip",
    name,
    siteId: "site",
    password: "S3cr3t-PW!",
    ip: "auto",
    server: "http://www.dynamip.com",
    fingerprint,
  };
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
  const dir = await Deno.makeTempDir({ prefix: "dnsbeat_resume_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("stopsOf: groups a No-IP provider's hosts by stop; DynamIP has no hosts", () => {
  const s = state();
  assert.deepEqual(stopsOf(s, "home"), [
    { stop: stop("badauth", "fp-old"), hosts: ["a.ddns.net", "b.ddns.net"] },
    { stop: stop("nohost", "fp-new", LATER), hosts: ["c.ddns.net"] },
  ]);
  assert.deepEqual(stopsOf(s, "site"), [{ stop: stop("Account Expired", "fp-site"), hosts: [] }]);
  assert.deepEqual(stopsOf(s, "calm"), []);
  assert.deepEqual(stopsOf(s, "nobody"), []);
  s.providers.site = emptyDynamip();
  assert.deepEqual(stopsOf(s, "site"), []);
});

Deno.test("clearStops: unconditional clears every stop and the back-off", () => {
  const s = state();
  const cleared = clearStops(s, "home");
  assert.deepEqual(cleared, [stop("badauth", "fp-old"), stop("nohost", "fp-new", LATER)]);
  assert.deepEqual(stopsOf(s, "home"), []);
  const home = s.providers.home;
  assert.ok(home?.type === "noip");
  assert.deepEqual(home.backoff, { failures: 0, until: null });
  assert.deepEqual(s.providers.site, state().providers.site, "other providers untouched");
});

Deno.test("clearStops: by fingerprint only lifts stops made under another config", () => {
  const s = state();
  const cleared = clearStops(s, "home", "fp-new");
  assert.deepEqual(cleared, [stop("badauth", "fp-old")], "two hosts, one stop");
  assert.deepEqual(stopsOf(s, "home"), [
    { stop: stop("nohost", "fp-new", LATER), hosts: ["c.ddns.net"] },
  ]);

  const same = state();
  assert.deepEqual(clearStops(same, "site", "fp-site"), []);
  assert.deepEqual(same, state(), "nothing changes when every stop matches");
});

Deno.test("clearStops: one code at two times is two stops", () => {
  const s = emptyState();
  s.providers.home = {
    type: "noip",
    hosts: {
      "a.ddns.net": { ...emptyHost(), stop: stop("nohost", "fp", AT) },
      "b.ddns.net": { ...emptyHost(), stop: stop("nohost", "fp", LATER) },
    },
    backoff: { failures: 0, until: null },
  };
  assert.deepEqual(clearStops(s, "home"), [stop("nohost", "fp", AT), stop("nohost", "fp", LATER)]);
});

Deno.test("clearStops: DynamIP stop, useAuto and back-off are reset", () => {
  const s = state();
  assert.deepEqual(clearStops(s, "site", "fp-other"), [stop("Account Expired", "fp-site")]);
  const site = s.providers.site;
  assert.ok(site?.type === "dynamip");
  assert.equal(site.stop, null);
  assert.equal(site.useAuto, false);
  assert.deepEqual(site.backoff, { failures: 0, until: null });
});

Deno.test("clearStops: no stop, no change (back-off kept); unknown name is nothing", () => {
  const s = state();
  assert.deepEqual(clearStops(s, "calm"), []);
  assert.deepEqual(clearStops(s, "nobody"), []);
  assert.deepEqual(s, state());
});

Deno.test("liftChangedStops: lifts and logs only providers whose fingerprint changed", async () => {
  const writes: State[] = [];
  const store = new StateStore("/x/state.json", state(), (_path, s) => {
    writes.push(structuredClone(s));
    return Promise.resolve();
  });
  const { log, lines } = collector();
  await liftChangedStops(
    store,
    [noip("home", "fp-new"), dynamip("site", "fp-site"), noip("calm", "fp-calm")],
    log,
  );
  assert.equal(writes.length, 1);
  assert.deepEqual(stopsOf(store.state, "home"), [
    { stop: stop("nohost", "fp-new", LATER), hosts: ["c.ddns.net"] },
  ]);
  assert.equal(stopsOf(store.state, "site").length, 1);
  assert.deepEqual(lines, [
    `info: Provider "home": its credentials, server or hostnames changed since the stop (badauth at ${AT}); updates resume.`,
  ]);
});

Deno.test("liftChangedStops: nothing changed means no write and no log", async () => {
  let writes = 0;
  const s = state();
  const home = s.providers.home;
  assert.ok(home?.type === "noip");
  for (const h of Object.values(home.hosts)) if (h.stop) h.stop.fingerprint = "fp";
  const store = new StateStore("/x/state.json", s, () => {
    writes++;
    return Promise.resolve();
  });
  const { log, lines } = collector();
  await liftChangedStops(store, [noip("home", "fp"), dynamip("site", "fp-site")], log);
  assert.equal(writes, 0);
  assert.deepEqual(lines, []);
});

Deno.test("requestResume / takeResumeRequest: round trip, then nothing", async () => {
  await withTempDir(async (dir) => {
    const statePath = `${dir}/state.json`;
    assert.equal(resumeRequestPath(statePath), `${statePath}.resume`);
    assert.equal(await takeResumeRequest(statePath), null);

    await requestResume(statePath, ["home", "site"]);
    assert.equal(
      (await Deno.stat(resumeRequestPath(statePath))).mode! & 0o777,
      0o644,
      "readable by a daemon running as another user",
    );
    const entries: string[] = [];
    for await (const e of Deno.readDir(dir)) entries.push(e.name);
    assert.deepEqual(entries, ["state.json.resume"], "no temp file left");

    assert.deepEqual(await takeResumeRequest(statePath), ["home", "site"]);
    assert.equal(await takeResumeRequest(statePath), null);

    await requestResume(statePath, []);
    assert.deepEqual(await takeResumeRequest(statePath), []);
  });
});

Deno.test("takeResumeRequest: a malformed request means all, and is removed", async () => {
  await withTempDir(async (dir) => {
    const statePath = `${dir}/state.json`;
    const path = resumeRequestPath(statePath);
    const cases: [string, string[]][] = [
      ["garbage", []],
      ["null", []],
      ['{"providers":"home"}', []],
      ['{"providers":["home",5,null,"site"]}', ["home", "site"]],
    ];
    for (const [text, expected] of cases) {
      await Deno.writeTextFile(path, text);
      assert.deepEqual(await takeResumeRequest(statePath), expected, text);
      await assert.rejects(() => Deno.stat(path), Deno.errors.NotFound);
    }
  });
});
