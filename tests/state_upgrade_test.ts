/**
 * Upgrading older state files keeps every stop given under the config loaded now: dnsbeat 0.1's
 * (fingerprinted from the config as written), and those of builds that keyed a DynDNS2 account by
 * its profile. The fingerprints of the older builds are computed here from their rules (SHA-256 of
 * the JSON list, first 16 bytes), not with dnsbeat's code. Black-box: tests/e2e_account_test.ts.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../lib/config/mod.ts";
import type { Provider } from "../lib/config/types.ts";
import { emptyState, type LegacyState, type State, STATE_VERSION } from "../lib/state/mod.ts";
import { type Dyndns2State, emptyDyndns2 } from "../lib/providers/dyndns2/entry.ts";
import { stateFromText } from "../lib/state/store.ts";
import type { Clock } from "../lib/clock.ts";
import { accountKeyChange, upgradeState } from "../lib/state/upgrade.ts";
import { FakeClock } from "./helpers/fake_clock.ts";

const USER = "me@example.com";
const PW = "right-password";
const AT = "2026-01-01T09:00:00.000Z";
const SERVER = "https://ddns.example";

async function sha(values: unknown[]): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(values));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function providers(entries: Record<string, unknown>[]): Promise<Provider[]> {
  const result = await parseConfig({ providers: entries }, "/etc/dnsbeat/config.json", {
    readSecretFile: () => ({ error: "none" }),
    env: () => undefined,
  });
  assert.ok(result.ok, result.ok ? "" : result.errors.join("; "));
  return result.config.providers;
}

function ddns(type: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type,
    name: "home",
    username: USER,
    password: PW,
    hostnames: ["b.example.net", "a.example.net"],
    server: SERVER,
    ...extra,
  };
}

function site(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: "dynamip", name: "site", siteId: "George", password: PW, ...extra };
}

function legacy(noipFp: string, siteFp: string): LegacyState {
  const stop = (fingerprint: string, code: string) => ({ code, at: AT, fingerprint });
  return {
    version: 1,
    providers: {
      home: {
        type: "noip",
        hosts: {
          "a.example.net": {
            lastIp: ["81.2.69.142"],
            lastReply: "badauth",
            lastSuccess: null,
            stop: stop(noipFp, "badauth"),
            retryNotBefore: null,
          },
        },
        backoff: { failures: 0, until: null },
      },
      site: {
        type: "dynamip",
        lastRequestAt: AT,
        lastBeat: null,
        lastReply: "Account Expired",
        lastIp: null,
        expiry: null,
        remainHours: null,
        useAuto: false,
        stop: stop(siteFp, "Account Expired"),
        backoff: { failures: 0, until: null },
      },
    },
  };
}

Deno.test("upgradeState: a v1 stop under `server` written non-canonically holds", async () => {
  const written = "HTTPS://DDNS.example//";
  const [home, dynamip] = await providers([
    ddns("noip", { server: written }),
    site({ server: "HTTP://www.DynamIP.com/" }),
  ]);
  assert.ok(home && dynamip);
  assert.equal(home.server, "https://ddns.example");
  const v1 = legacy(
    await sha(["noip", "HTTPS://DDNS.example", USER, PW, ["a.example.net", "b.example.net"]]),
    await sha(["dynamip", "HTTP://www.DynamIP.com", "George", PW]),
  );
  const { state } = await upgradeState(v1, [home, dynamip], new FakeClock());
  assert.deepEqual(state.providers[home.key]?.stop, {
    code: "badauth",
    hosts: ["a.example.net"],
    at: AT,
    fingerprint: home.fingerprint,
  });
  assert.equal(state.providers[dynamip.key]?.stop?.fingerprint, dynamip.fingerprint);
});

Deno.test("upgradeState: a v1 stop given under other settings keeps its fingerprint, so it lifts", async () => {
  const [home, dynamip] = await providers([ddns("noip"), site()]);
  assert.ok(home && dynamip);
  const homeFp = await sha(["noip", SERVER, USER, "old", ["a.example.net", "b.example.net"]]);
  const siteFp = await sha(["dynamip", "http://www.dynamip.com", "George", "old"]);
  const { state } = await upgradeState(legacy(homeFp, siteFp), [home, dynamip], new FakeClock());
  assert.equal(state.providers[home.key]?.stop?.fingerprint, homeFp);
  assert.equal(state.providers[dynamip.key]?.stop?.fingerprint, siteFp);
});

Deno.test("identity: the DynDNS2 profile is in neither key nor fingerprint", async () => {
  const [noip] = await providers([ddns("noip")]);
  const [generic] = await providers([ddns("dyndns2")]);
  const [dynu] = await providers([ddns("dynu")]);
  assert.ok(noip && generic && dynu);
  assert.equal(noip.key, `dyndns2 ${SERVER} ${USER}`);
  for (const p of [generic, dynu]) {
    assert.equal(p.key, noip.key);
    assert.equal(p.fingerprint, noip.fingerprint);
  }
  const [other] = await providers([ddns("dynu", { server: "https://api.dynu.com" })]);
  assert.notEqual(other?.key, noip.key, "another server is another account");
});

/** An entry as a build that keyed the account by its profile wrote it. */
function entry(stop: { fingerprint: string; at?: string } | null, hosts: string[] = []) {
  const e = emptyDyndns2("home");
  if (stop) {
    e.stop = { code: "badauth", hosts: [], at: stop.at ?? AT, fingerprint: stop.fingerprint };
  }
  for (const h of hosts) {
    e.hosts[h] = {
      sent: { ipv4: "81.2.69.142", ipv6: null },
      confirmed: { ipv4: "81.2.69.142", ipv6: null },
      reply: "good 81.2.69.142",
      success: null,
    };
  }
  return e;
}

function withEntries(entries: Record<string, Dyndns2State>): State {
  return { ...emptyState(), providers: entries };
}

/** What older builds fingerprinted a DynDNS2 provider of profile `type` with password `pw`. */
function oldFp(type: string, pw = PW): Promise<string> {
  return sha([type, SERVER, USER, pw, ["a.example.net", "b.example.net"]]);
}

Deno.test("accountKeyChange: an entry under a profile moves to the account, its stop holds", async () => {
  for (const [was, now] of [["noip", "noip"], ["noip", "dyndns2"], ["dynu", "noip"]]) {
    const [p] = await providers([ddns(now!)]);
    assert.ok(p);
    const state = withEntries({
      [`${was} ${SERVER} ${USER}`]: entry({ fingerprint: await oldFp(was!) }, ["a.example.net"]),
    });
    const change = await accountKeyChange(state, [p]);
    assert.ok(change, `${was} -> ${now}`);
    change(state);
    assert.deepEqual(Object.keys(state.providers), [p.key]);
    const moved = state.providers[p.key] as Dyndns2State;
    assert.equal(moved.stop?.fingerprint, p.fingerprint, `${was} -> ${now}`);
    assert.deepEqual(moved.hosts["a.example.net"]?.sent, { ipv4: "81.2.69.142", ipv6: null });
  }
});

Deno.test("accountKeyChange: a stop given under another password moves and still lifts", async () => {
  const [p] = await providers([ddns("noip")]);
  assert.ok(p);
  const old = await oldFp("noip", "old-password");
  const state = withEntries({ [`noip ${SERVER} ${USER}`]: entry({ fingerprint: old }) });
  (await accountKeyChange(state, [p]))!(state);
  assert.equal(state.providers[p.key]?.stop?.fingerprint, old);
});

Deno.test("accountKeyChange: nothing to move, nothing to write", async () => {
  const [p] = await providers([ddns("noip")]);
  assert.ok(p);
  assert.equal(await accountKeyChange(emptyState(), [p]), null);
  const current = withEntries({ [p.key]: entry({ fingerprint: p.fingerprint }) });
  assert.equal(await accountKeyChange(current, [p]), null);
  // Another account's entry (another user) is not this provider's.
  const other = withEntries({ [`noip ${SERVER} someone-else`]: entry(null) });
  assert.equal(await accountKeyChange(other, [p]), null);
});

Deno.test("accountKeyChange: an account kept twice keeps the latest stop, and what only the other had", async () => {
  const [p] = await providers([ddns("dynu")]);
  assert.ok(p);
  const second = entry({ fingerprint: await oldFp("dyndns2"), at: "2026-01-01T10:00:00.000Z" });
  const first = entry({ fingerprint: await oldFp("noip") }, ["a.example.net", "b.example.net"]);
  first.wait = { code: "911", from: { at: AT, mono: 0 }, ms: 1_800_000 };
  const state = withEntries({
    [`noip ${SERVER} ${USER}`]: first,
    [`dyndns2 ${SERVER} ${USER}`]: second,
  });
  (await accountKeyChange(state, [p]))!(state);
  assert.deepEqual(Object.keys(state.providers), [p.key]);
  const kept = state.providers[p.key] as Dyndns2State;
  assert.equal(kept.stop?.at, "2026-01-01T10:00:00.000Z");
  assert.equal(kept.stop?.fingerprint, p.fingerprint);
  assert.equal(kept.wait?.code, "911");
  assert.deepEqual(Object.keys(kept.hosts).sort(), ["a.example.net", "b.example.net"]);
});

Deno.test("accountKeyChange: without a stop, the entry of the profile in the config is kept", async () => {
  const [p] = await providers([ddns("dynu")]);
  assert.ok(p);
  const fromNoip = entry(null, ["a.example.net"]);
  const fromDynu = entry(null, ["b.example.net"]);
  fromDynu.name = "dynu-entry";
  const state = withEntries({
    [`noip ${SERVER} ${USER}`]: fromNoip,
    [`dynu ${SERVER} ${USER}`]: fromDynu,
  });
  (await accountKeyChange(state, [p]))!(state);
  assert.equal(state.providers[p.key]?.name, "dynu-entry");
});

/** A clock stopped at 2026-03-01 12:00 UTC, monotonic 5,000,000 ms into its boot. */
const NOON = Date.UTC(2026, 2, 1, 12, 0, 0);
const MONO = 5_000_000;
const stopped: Clock = { now: () => NOON, mono: () => MONO, bootId: "b", sleep: async () => {} };
const MIN = 60_000;

Deno.test("upgradeState: a dnsbeat 0.1 file becomes the current schema, keeping what it knew", async () => {
  const [home, dynamip] = await providers([ddns("noip"), site()]);
  assert.ok(home?.kind === "dyndns2" && dynamip);
  const v1 = {
    version: 1,
    providers: {
      home: {
        type: "noip",
        hosts: {
          "a.example.net": {
            lastIp: ["81.2.69.142", "2001:db8::1"],
            lastReply: "good 81.2.69.142",
            lastSuccess: "2026-03-01T11:00:00.000Z",
            stop: null,
            retryNotBefore: null,
          },
          "b.example.net": {
            lastIp: null,
            lastReply: "911",
            lastSuccess: null,
            stop: null,
            // 0.1 waited 30 minutes after a 911: this one was given 10 minutes ago.
            retryNotBefore: "2026-03-01T12:20:00.000Z",
          },
        },
        backoff: { failures: 2, until: "2026-03-01T12:10:00.000Z" },
      },
      site: {
        type: "dynamip",
        lastRequestAt: "2026-03-01T11:55:00.000Z",
        lastBeat: "2026-03-01T11:55:00.000Z",
        lastReply: "IP Address for George set to 81.2.69.142",
        lastIp: "81.2.69.142",
        expiry: { text: "4/2/2027 5:24:41 PM", iso: "2027-04-02T17:24:41.000Z" },
        remainHours: 9000,
        useAuto: true,
        stop: null,
        backoff: { failures: 0, until: null },
      },
      gone: { type: "noip", hosts: {}, backoff: { failures: 0, until: null } },
    },
  };
  const read = stateFromText(JSON.stringify(v1));
  assert.equal(read.kind, "legacy");
  assert.ok(read.kind === "legacy");
  const { state, notes } = await upgradeState(read.legacy, [home, dynamip], stopped);
  const ago = (at: string) => ({ at, mono: MONO - (NOON - Date.parse(at)) });
  const now = { at: new Date(NOON).toISOString(), mono: MONO };
  assert.deepEqual(state, {
    version: STATE_VERSION,
    boot: null,
    providers: {
      [home.key]: {
        type: "dyndns2",
        name: "home",
        stop: null,
        wait: { code: "911", from: ago("2026-03-01T11:50:00.000Z"), ms: 30 * MIN },
        backoff: { failures: 2, from: now, ms: 10 * MIN },
        attempt: null,
        hosts: {
          "a.example.net": {
            sent: { ipv4: "81.2.69.142", ipv6: "2001:db8::1" },
            confirmed: { ipv4: "81.2.69.142", ipv6: "2001:db8::1" },
            reply: "good 81.2.69.142",
            success: ago("2026-03-01T11:00:00.000Z"),
          },
          "b.example.net": { sent: null, confirmed: null, reply: "911", success: null },
        },
      },
      [dynamip.key]: {
        type: "dynamip",
        name: "site",
        stop: null,
        backoff: null,
        lastRequest: { at: ago("2026-03-01T11:55:00.000Z"), rttMs: null },
        lastBeat: ago("2026-03-01T11:55:00.000Z"),
        lastReply: "IP Address for George set to 81.2.69.142",
        lastIp: "81.2.69.142",
        expiry: { text: "4/2/2027 5:24:41 PM", iso: "2027-04-02T17:24:41.000Z" },
        remainHours: 9000,
        expiryWarned: null,
        useAuto: true,
      },
    },
    notify: emptyState().notify,
  });
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /"gone" was dropped .*no No-IP provider of that name/);
  // What it became is a file of this schema.
  const again = stateFromText(JSON.stringify(state));
  assert.equal(again.kind, "ok");
});

Deno.test("a schema-2 file reads as the current one, and its profile-keyed entry moves to the account", async () => {
  const [p] = await providers([ddns("dyndns2")]);
  assert.ok(p);
  const old = `noip ${SERVER} ${USER}`;
  const v2 = {
    version: 2,
    boot: "b",
    providers: { [old]: entry({ fingerprint: await oldFp("noip") }, ["a.example.net"]) },
  };
  const read = stateFromText(JSON.stringify(v2));
  assert.ok(read.kind === "ok", JSON.stringify(read));
  assert.equal(read.state.version, STATE_VERSION);
  assert.deepEqual(Object.keys(read.state.providers), [old], "reading moves nothing");
  const change = await accountKeyChange(read.state, [p]);
  assert.ok(change);
  change(read.state);
  assert.deepEqual(Object.keys(read.state.providers), [p.key]);
  const moved = read.state.providers[p.key] as Dyndns2State;
  assert.equal(moved.stop?.fingerprint, p.fingerprint, "the stop holds under the same config");
  assert.equal(moved.hosts["a.example.net"]?.reply, "good 81.2.69.142");
  assert.equal(stateFromText(JSON.stringify(read.state)).kind, "ok");
});

Deno.test("a file of a newer schema is neither read nor upgraded: refused, naming both versions", () => {
  const kinds = [1, 2, 3, 4, 99].map((version) => {
    const file = version === 1
      ? { version, providers: {} }
      : { version, boot: null, providers: {} };
    const read = stateFromText(JSON.stringify(file));
    return read.kind === "corrupt" ? read.problem : read.kind;
  });
  assert.deepEqual(kinds.slice(0, 3), ["legacy", "ok", "ok"]);
  for (const [i, problem] of kinds.slice(3).entries()) {
    assert.equal(
      problem,
      `its schema version is ${[4, 99][i]}, this dnsbeat reads 3 (and 2 and 1, which it upgrades)`,
    );
  }
});
