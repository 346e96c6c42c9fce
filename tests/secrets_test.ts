/**
 * Secrets, black-box: the whole CLI surface with known, distinctive passwords (one full of URL
 * syntax), every command, `--debug`, `status --json`, every error path that can be triggered,
 * servers that echo the credentials back, and the emulator's own logs. No password may appear,
 * raw, URL-encoded, in Basic auth's base64, or as any 6-character piece, in any output or in
 * any file but the config and the password files.
 */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { basicCredentials } from "../lib/providers/dyndns2/protocol.ts";
import { dnsbeatArgs } from "../scripts/dnsbeat.ts";
import { NOIP_USER, SITE_ID } from "./helpers/fixtures.ts";
import { type CliResult, sandbox } from "./helpers/sandbox.ts";
import { finish, watch } from "./helpers/lines.ts";
import { report } from "./helpers/report.ts";

const NOIP_PW = "p&ss=w@rd/?#";
const DYNAMIP_PW = "Dyn:Sécret+1 %41";
const WRONG_PW = "Wr0ng&pw=?/x#y";

const utf8Base64 = (text: string) =>
  btoa(Array.from(new TextEncoder().encode(text), (b) => String.fromCharCode(b)).join(""));

/** Every form in which a password could leak, and what it is. */
function leakForms(): [string, string][] {
  const forms: [string, string][] = [];
  for (const pw of [NOIP_PW, DYNAMIP_PW, WRONG_PW]) {
    forms.push([pw, `the password ${JSON.stringify(pw)}`]);
    forms.push([encodeURIComponent(pw), "a URL-encoded password"]);
    forms.push([new URLSearchParams({ p: pw }).toString().slice(2), "a form-encoded password"]);
    forms.push([utf8Base64(pw), "a base64 password"]);
    forms.push([utf8Base64(basicCredentials(NOIP_USER, pw)), "Basic credentials"]);
    forms.push([utf8Base64(`${SITE_ID}:${pw}`), "base64 site:password"]);
    for (let i = 0; i + 6 <= pw.length; i++) forms.push([pw.slice(i, i + 6), "a piece of one"]);
  }
  return forms;
}

Deno.test("secrets: no password in any output, state, log or file, on every path", async () => {
  const emulatorLog: string[] = [];
  await using s = await sandbox({
    noipPassword: NOIP_PW,
    dynamipPassword: DYNAMIP_PW,
    onRequest: (line) => emulatorLog.push(line),
  });
  const seen: { what: string; text: string }[] = [];
  const allowed = new Set<string>([s.config]);
  const dynamipFile = `${s.dir}/dynamip.pw`;
  await Deno.writeTextFile(dynamipFile, `${DYNAMIP_PW}\n`, { mode: 0o600 });
  allowed.add(dynamipFile);
  const env = { DNSBEAT_NOIP_PW: NOIP_PW };
  const both = (noip: Record<string, unknown> = {}, dynamip: Record<string, unknown> = {}) => [
    s.noip({ password: undefined, passwordEnv: "DNSBEAT_NOIP_PW", ...noip }),
    s.dynamip({ password: undefined, passwordFile: dynamipFile, ...dynamip }),
  ];
  let runs = 0;
  const run = async (
    args: string[],
    expect: number | number[],
    extra: Record<string, string> = {},
  ) => {
    const r: CliResult = await s.run(args, { env: { ...env, ...extra } });
    runs++;
    seen.push({ what: `dnsbeat ${args.join(" ")}`, text: r.stdout + r.stderr });
    const codes = typeof expect === "number" ? [expect] : expect;
    assert.ok(
      codes.includes(r.code),
      `dnsbeat ${args.join(" ")}: ${r.code} ${r.stdout}${r.stderr}`,
    );
    return r;
  };
  /** What `status` may exit with after a run that exited `code`: a stop stays a stop. */
  const statusAfter = (code: number) => code === ExitCode.Stopped ? 3 : [0, 1];
  const fresh = (name: string) => ["--state", `${s.dir}/${name}.json`];

  // The happy path, every command, with and without --debug.
  await s.writeConfig(both());
  await run(["check"], ExitCode.Ok);
  await run(["check", "--debug"], ExitCode.Ok);
  await run(["once", "--debug"], ExitCode.Ok);
  await run(["once"], ExitCode.Ok);
  for (const args of [["status"], ["status", "--json"], ["status", "--debug"]]) {
    await run(args, ExitCode.Ok);
  }
  await run(["resume"], ExitCode.Ok);
  await run(["resume", "home", "--debug"], ExitCode.Ok);
  await run(["resume", "nosuch"], ExitCode.Usage);
  await run(["--help"], ExitCode.Ok);
  await run(["--version"], ExitCode.Ok);
  await run(["once", "--bogus"], ExitCode.Usage);
  await run(["bogus"], ExitCode.Usage);

  // The daemon, briefly, with a second instance and a resume request while it runs.
  s.server.emulator.setEchoIp("81.2.69.160");
  const daemon = watch(
    new Deno.Command(Deno.execPath(), {
      args: dnsbeatArgs(["run", "--debug", "--config", s.config]),
      env: { ...env, NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "" },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
  await daemon.stdout.waitFor(/a\.ddns\.net now points to 81\.2\.69\.160/);
  await run(["once", "--debug"], ExitCode.Locked);
  await run(["resume"], ExitCode.Ok);
  daemon.child.kill("SIGTERM");
  const ended = await finish(daemon);
  assert.equal(ended.code, ExitCode.Ok, ended.stderr);
  seen.push({ what: "dnsbeat run --debug", text: ended.stdout + ended.stderr });

  // No-IP error paths: stops, waits, back-off, servers that echo the credentials.
  const token = utf8Base64(basicCredentials(NOIP_USER, NOIP_PW));
  const noipFaults = [
    { kind: "code", body: "badauth" },
    { kind: "status", status: 401 },
    { kind: "code", body: `Basic ${token}` },
    { kind: "code", body: `{"headers": {"Accept": "*/*", "Authorization": "Basic ${token}"}}` },
    { kind: "code", body: `nohost ${NOIP_PW}\n${encodeURIComponent(NOIP_PW)}` },
    { kind: "status", status: 500, body: `error for ${NOIP_USER}:${NOIP_PW}` },
    { kind: "status", status: 503, body: `<p>Authorization: Basic ${token}</p>` },
    { kind: "html" },
    {
      kind: "redirect",
      location: `http://u:${encodeURIComponent(NOIP_PW)}@127.0.0.1:9/x?pw=${
        encodeURIComponent(NOIP_PW)
      }`,
    },
  ] as const;
  for (const [i, fault] of noipFaults.entries()) {
    s.server.emulator.pushFault({ ...fault, target: "noip" });
    const r = await s.run(["once", "--debug", ...fresh(`noip-${i}`)], { env });
    runs++;
    seen.push({ what: `No-IP fault ${i}`, text: r.stdout + r.stderr });
    assert.ok(r.code !== ExitCode.Ok || fault.kind === "redirect", `fault ${i}: ${r.stderr}`);
    for (const args of [["status", "--json"], ["status"]]) {
      await run([...args, ...fresh(`noip-${i}`)], statusAfter(r.code));
    }
  }

  // DynamIP error paths: refusals, an echo of the password, wrong password.
  const dynamipFaults = [
    { kind: "code", body: `{{{Busy|You sent Password=${encodeURIComponent(DYNAMIP_PW)}}}}` },
    { kind: "code", body: `IP Address for George set to 1.2.3.4 ${DYNAMIP_PW}` },
    { kind: "status", status: 500, body: `${DYNAMIP_PW} ${encodeURIComponent(DYNAMIP_PW)}` },
    {
      kind: "redirect",
      location: `http://127.0.0.1:9/?Password=${encodeURIComponent(DYNAMIP_PW)}`,
    },
    { kind: "code", body: "{{{Account Expired|Renew.}}}" },
  ] as const;
  for (const [i, fault] of dynamipFaults.entries()) {
    s.server.emulator.pushFault({ ...fault, target: "dynamip" });
    const r = await s.run(["once", "--debug", ...fresh(`dynamip-${i}`)], { env });
    runs++;
    seen.push({ what: `DynamIP fault ${i}`, text: r.stdout + r.stderr });
    await run(["status", "--json", ...fresh(`dynamip-${i}`)], statusAfter(r.code));
  }

  // Wrong passwords: the servers refuse, and the wrong password is a secret too.
  await s.writeConfig(
    both({ passwordEnv: "DNSBEAT_WRONG_PW" }, { passwordFile: undefined, password: WRONG_PW }),
  );
  await run(["once", "--debug", ...fresh("wrong")], ExitCode.Stopped, {
    DNSBEAT_WRONG_PW: WRONG_PW,
  });
  await run(["status", "--json", ...fresh("wrong")], ExitCode.Stopped, {
    DNSBEAT_WRONG_PW: WRONG_PW,
  });
  await run(["check", ...fresh("wrong")], ExitCode.Ok, { DNSBEAT_WRONG_PW: WRONG_PW });

  // Servers that cannot be reached or never answer.
  await s.writeConfig(both({ server: "http://127.0.0.1:9" }, { server: "http://127.0.0.1:9" }));
  await run(["once", "--debug", ...fresh("refused")], ExitCode.Failure);
  await s.writeConfig(both(), { timeout: "1s" });
  s.server.emulator.pushFault({ kind: "hang", target: "noip" });
  // The emulator refuses this state's DynamIP beat (the site beat seconds ago): a stop.
  await run(["once", "--debug", ...fresh("hang")], [ExitCode.Failure, ExitCode.Stopped]);

  // A corrupt state, a locked one, a config with problems, a world-readable password file.
  await s.writeConfig(both());
  await Deno.writeTextFile(`${s.dir}/corrupt.json`, `{"version": 1, "providers": [`);
  await run(["once", ...fresh("corrupt")], ExitCode.Failure);
  await run(["status", "--json", ...fresh("corrupt")], ExitCode.Failure);
  await s.writeConfig(both({ intervall: "5m", hostnames: [] }, { ip: "sometimes" }));
  await run(["check", "--debug"], ExitCode.Usage);
  await run(["once"], ExitCode.Usage);
  const loose = `${s.dir}/loose.pw`;
  await Deno.writeTextFile(loose, DYNAMIP_PW, { mode: 0o644 });
  await Deno.chmod(loose, 0o644);
  allowed.add(loose);
  await s.writeConfig(both({}, { passwordFile: loose }));
  const warned = await run(["check"], ExitCode.Ok);
  assert.match(warned.stderr, /can be read by every user; run: chmod 600/);

  // `dnsbeat emulator` with these passwords prints a line per request.
  const accounts = `${s.dir}/accounts.json`;
  await Deno.writeTextFile(
    accounts,
    JSON.stringify({
      noip: [{ username: NOIP_USER, password: NOIP_PW, hosts: ["a.ddns.net"] }],
      dynamip: [{ siteId: SITE_ID, password: DYNAMIP_PW, expiry: "2030-01-01T00:00:00Z" }],
    }),
    { mode: 0o600 },
  );
  allowed.add(accounts);
  const emulator = watch(
    new Deno.Command(Deno.execPath(), {
      args: dnsbeatArgs(["emulator", "--port", "0", "--accounts", accounts]),
      env: { NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "" },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
  const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(
    await emulator.stdout.waitFor(/dnsbeat emulator on/),
  )![1]!;
  await s.writeConfig(
    both({ server: url }, { server: url, passwordFile: undefined, password: WRONG_PW }),
    {
      ipSources: [`${url}/ip`],
    },
  );
  await run(["once", ...fresh("cli-emulator")], ExitCode.Stopped);
  await emulator.stdout.waitFor(/updateip\.asp/);
  emulator.child.kill("SIGTERM");
  const stopped = await finish(emulator);
  seen.push({ what: "dnsbeat emulator", text: stopped.stdout + stopped.stderr });
  assert.ok(stopped.stdout.includes("Password=***"), "the emulator masks the password");

  // The in-process emulator's log, records and control API; the replies of `code` and
  // `status` faults are left out: they are this test's own echoes of the passwords.
  const planted = /\[fault: (code|status)\]$/;
  const own = (r: { fault?: string }) => r.fault !== "code" && r.fault !== "status";
  const lines = emulatorLog.filter((line) => !planted.test(line));
  assert.ok(lines.length >= 40, `the emulator logged ${lines.length} requests`);
  seen.push({ what: "emulator onRequest", text: lines.join("\n") });
  const records = s.server.emulator.requests.filter(own);
  seen.push({ what: "emulator requests", text: JSON.stringify(records) });
  const fetched = await (await fetch(`${s.server.url}/_emulator/requests`)).json();
  seen.push({ what: "/_emulator/requests", text: JSON.stringify(fetched.filter(own)) });
  const state = await fetch(`${s.server.url}/_emulator/state`);
  seen.push({ what: "/_emulator/state", text: await state.text() });

  // Every file left behind.
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && !allowed.has(path)) files.push(path);
    }
  };
  await walk(s.dir);
  for (const path of files) {
    seen.push({ what: path.slice(s.dir.length + 1), text: await Deno.readTextFile(path) });
  }

  const forms = leakForms();
  for (const { what, text } of seen) {
    for (const [form, name] of forms) {
      assert.ok(!text.includes(form), `${name} in ${what}:\n${text}`);
    }
  }
  report(
    `${runs} CLI runs, ${seen.length} outputs and files (${files.length} files), ` +
      `${forms.length} forms of 3 passwords: none found`,
  );
});
