/**
 * A stop belongs to the account at the server, black-box: `main.ts` as a child process with the
 * shipped permissions against the emulator on 127.0.0.1, every assertion counting requests at the
 * emulator. Choosing another DynDNS2 profile (`"type"`) for the same account lifts nothing and
 * forgets nothing; a state file of dnsbeat 0.1 keeps its stops through the upgrade, also when the
 * config writes `server` in another spelling than the canonical one. Unit level:
 * tests/state_upgrade_test.ts, tests/config_test.ts.
 */
import assert from "node:assert/strict";
import { HOUR } from "../lib/config/duration.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import { report } from "./helpers/report.ts";
import { ECHO_IP, NOIP_USER, SITE_ID } from "./helpers/fixtures.ts";
import { type Sandbox, sandbox } from "./helpers/sandbox.ts";

const WRONG = "a-wrong-password";
const PROFILES = ["noip", "dyndns2", "dynu"];

async function within(test: (s: Sandbox) => Promise<void>): Promise<void> {
  await using s = await sandbox();
  await test(s);
}

function beats(s: Sandbox): number {
  return s.server.emulator.requests.filter((r) => r.provider === "dynamip").length;
}

function replies(s: Sandbox): string[] {
  return s.server.emulator.requests.filter((r) => r.provider === "noip")
    .map((r) => r.reply.split("\n")[0]!);
}

Deno.test("account: badauth, then the type noip -> dyndns2 -> dynu: one request in all", async () => {
  await within(async (s) => {
    await s.writeConfig([s.noip({ password: WRONG })]);
    const first = await s.run(["once"]);
    assert.equal(first.code, ExitCode.Stopped, first.stderr);
    assert.deepEqual(replies(s), ["badauth"]);
    for (const type of PROFILES.slice(1)) {
      await s.writeConfig([s.noip({ type, password: WRONG })]);
      const again = await s.run(["once"]);
      assert.equal(again.code, ExitCode.Stopped, `${type}: ${again.stderr}`);
      assert.match(again.stderr, /Provider "home" stays stopped/, type);
      const check = await s.run(["check"]);
      assert.match(check.stdout, /stopped since .* \(badauth\); see `dnsbeat status`/, type);
      const status = await s.run(["status"]);
      assert.equal(status.code, ExitCode.Stopped, `${type}: status`);
    }
    assert.deepEqual(replies(s), ["badauth"], "no second badauth after a type change");
    const state = await s.readState();
    assert.deepEqual(Object.keys(state.providers), [`dyndns2 ${s.server.url} ${NOIP_USER}`]);
    report(`badauth, then type noip -> dyndns2 -> dynu: ${replies(s).length} request in all`);

    // What was refused changes (the password): that lifts the stop, whatever the type.
    await s.writeConfig([s.noip({ type: "dynu" })]);
    const fixed = await s.run(["once"]);
    assert.equal(fixed.code, ExitCode.Ok, fixed.stderr);
    assert.deepEqual(replies(s), ["badauth", `good ${ECHO_IP}`]);
  });
});

Deno.test("account: a type change keeps the last sent address: no nochg, one update per change", async () => {
  await within(async (s) => {
    for (const type of [...PROFILES, "noip"]) {
      await s.writeConfig([s.noip({ type })]);
      const r = await s.run(["once"]);
      assert.equal(r.code, ExitCode.Ok, `${type}: ${r.stderr}`);
    }
    assert.deepEqual(replies(s), [`good ${ECHO_IP}`], "sent once, never again unchanged");
    s.server.emulator.setEchoIp("81.2.69.160");
    await s.writeConfig([s.noip({ type: "dyndns2" })]);
    assert.equal((await s.run(["once"])).code, ExitCode.Ok);
    await s.writeConfig([s.noip({ type: "dynu" })]);
    assert.equal((await s.run(["once"])).code, ExitCode.Ok);
    assert.deepEqual(replies(s), [`good ${ECHO_IP}`, "good 81.2.69.160"]);
  });
});

Deno.test("account: a state file that kept the account under its profile keeps its stop", async () => {
  await within(async (s) => {
    // As the build before this one wrote it: keyed and fingerprinted by the profile's type.
    const at = new Date(Date.now() - HOUR).toISOString();
    const old = {
      version: 2,
      boot: null,
      providers: {
        [`noip ${s.server.url} ${NOIP_USER}`]: {
          type: "dyndns2",
          name: "home",
          stop: {
            code: "badauth",
            hosts: [],
            at,
            fingerprint: await olderFingerprint([
              "noip",
              s.server.url,
              NOIP_USER,
              WRONG,
              ["a.ddns.net"],
            ]),
          },
          wait: null,
          backoff: null,
          attempt: null,
          hosts: {},
        },
      },
      notify: { outbox: [], sinks: {} },
    };
    await Deno.writeTextFile(s.state, JSON.stringify(old, null, 2), { mode: 0o600 });
    for (const type of PROFILES) {
      await s.writeConfig([s.noip({ type, password: WRONG })]);
      const r = await s.run(["once"]);
      assert.equal(r.code, ExitCode.Stopped, `${type}: ${r.stderr}`);
    }
    assert.equal(replies(s).length, 0, "no request after the upgrade, nor after a type change");
    assert.deepEqual(Object.keys((await s.readState()).providers), [
      `dyndns2 ${s.server.url} ${NOIP_USER}`,
    ]);
  });
});

/** SHA-256 of the values as JSON, the first 16 bytes in hex: the fingerprint of older builds. */
async function olderFingerprint(values: unknown[]): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(values));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A state file as dnsbeat 0.1 wrote it (fields and order as its `once` wrote them) after No-IP's
 * `badauth` and DynamIP's `Account Expired`, under a config whose `server` is `written`. Its
 * fingerprints are of the config as written: 0.1 removed trailing slashes only.
 */
async function v1State(
  written: string,
  noipPassword: string,
  sitePassword: string,
  siteWritten = written,
) {
  const server = written.replace(/\/+$/, "");
  const siteServer = siteWritten.replace(/\/+$/, "");
  const at = new Date(Date.now() - HOUR).toISOString();
  return {
    version: 1,
    providers: {
      home: {
        type: "noip",
        hosts: {
          "a.ddns.net": {
            lastIp: null,
            lastReply: "badauth",
            lastAttempt: at,
            lastSuccess: null,
            stop: {
              code: "badauth",
              message: `No-IP says badauth for ${NOIP_USER}: wrong username or password.`,
              at,
              fingerprint: await olderFingerprint([
                "noip",
                server,
                NOIP_USER,
                noipPassword,
                ["a.ddns.net"],
              ]),
            },
            retryNotBefore: null,
          },
        },
        backoff: { failures: 0, until: null },
      },
      site: {
        type: "dynamip",
        lastRequestAt: at,
        lastBeat: null,
        lastReply: "{{{Account Expired|Your DynamIP.com account has expired.",
        lastIp: null,
        expiry: null,
        remainHours: null,
        expiryWarnedAt: null,
        useAuto: false,
        stop: {
          code: "Account Expired",
          message: `DynamIP says "Account Expired" for site ${SITE_ID}.`,
          at,
          fingerprint: await olderFingerprint(["dynamip", siteServer, SITE_ID, sitePassword]),
        },
        backoff: { failures: 0, until: null },
      },
    },
  };
}

Deno.test("account: a v1 state file keeps its stops with `server` written HTTP://…/", async () => {
  await within(async (s) => {
    const written = `${s.server.url.replace("http://", "HTTP://")}/`;
    // DynamIP by the emulator's name: its stop must not put the emulator's /ip off limits.
    const siteServer = `http://localhost:${s.server.port}`;
    const siteWritten = `${siteServer.replace("http://", "HTTP://")}/`;
    const site = s.dynamip({ server: siteWritten });
    await s.writeConfig([s.noip({ password: WRONG, server: written }), site]);
    const legacy = await v1State(written, WRONG, site.password as string, siteWritten);
    await Deno.writeTextFile(s.state, JSON.stringify(legacy, null, 2), { mode: 0o600 });

    const upgraded = await s.run(["once"]);
    assert.equal(upgraded.code, ExitCode.Stopped, upgraded.stderr);
    assert.match(upgraded.stderr, /Provider "home" stays stopped/);
    assert.doesNotMatch(upgraded.stdout, /changed since the stop/);
    assert.equal(replies(s).length, 0, "no update after the upgrade");
    assert.equal(beats(s), 0, "no beat after the upgrade");
    const state = await s.readState();
    assert.equal((await s.noipEntry())?.stop?.code, "badauth");
    assert.equal(
      state.providers[`dynamip ${siteServer} ${SITE_ID}`]?.stop?.code,
      "Account Expired",
    );
    assert.equal(state.version, 3);
    report(
      `v1 state, server written ${written}: ${replies(s).length} updates, ${
        beats(s)
      } beats after the upgrade`,
    );

    // The same server written canonically is the same account: the stops still hold.
    await s.writeConfig([s.noip({ password: WRONG }), s.dynamip({ server: siteServer })]);
    assert.equal((await s.run(["once"])).code, ExitCode.Stopped);
    assert.equal(replies(s).length + beats(s), 0);

    // The password that was refused changed: that stop lifts, the other holds.
    await s.writeConfig([s.noip(), s.dynamip({ server: siteServer })]);
    const fixed = await s.run(["once"]);
    assert.match(fixed.stdout, /Provider "home": its credentials or hostnames changed/);
    assert.deepEqual(replies(s), [`good ${ECHO_IP}`]);
    assert.equal(beats(s), 0);
  });
});

Deno.test("account: a v1 stop given under other settings lifts at the upgrade, as in 0.1", async () => {
  await within(async (s) => {
    const written = `${s.server.url.replace("http://", "HTTP://")}/`;
    await s.writeConfig([s.noip({ server: written }), s.dynamip({ server: written })]);
    const legacy = await v1State(written, WRONG, WRONG);
    await Deno.writeTextFile(s.state, JSON.stringify(legacy, null, 2), { mode: 0o600 });
    const r = await s.run(["once"]);
    assert.equal(r.code, ExitCode.Ok, r.stderr);
    assert.deepEqual(replies(s), [`good ${ECHO_IP}`]);
    // Its stop lifted, but version 1 kept no boot: the last request's 15 minutes start again.
    assert.equal(beats(s), 0);
    assert.match(r.stdout, /cannot tell whether the machine restarted/);
  });
});
