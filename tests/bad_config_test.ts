/**
 * Bad configs through the CLI: every command that reads the config exits 2, the message names the
 * field and what was expected, no stack trace, no password; a world-readable password file is a
 * warning and dnsbeat still runs. Message by message: tests/config_test.ts.
 */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { dnsbeat } from "./helpers/cli.ts";
import { sandbox } from "./helpers/sandbox.ts";
import { report } from "./helpers/report.ts";

const PASSWORD = "bad-C0nfig&pw=?";

interface Case {
  name: string;
  /** The config file's text, from the sandbox's valid provider entries. */
  config: (
    p: { noip: Record<string, unknown>; dynamip: Record<string, unknown> },
  ) => Record<string, unknown> | string;
  /** What stderr must say, each. */
  says: RegExp[];
}

const CASES: Case[] = [
  {
    name: "unknown fields",
    config: ({ noip }) => ({ intervall: "5m", providers: [{ ...noip, usrname: "x" }] }),
    says: [
      /config .*: intervall: unknown field; known: state, ipSources/,
      /providers\[0\]\.usrname: unknown field \(did you mean "username"\?\)/,
    ],
  },
  {
    name: "wrong types",
    config: ({ noip }) => ({
      timeout: 30,
      providers: [{ ...noip, hostnames: "a.ddns.net", interval: 300, password: 1234 }],
    }),
    says: [
      /timeout: expected a duration like "90s", "5m", "1h30m" or "25d", found 30/,
      /providers\[0\]\.hostnames: expected a non-empty list of hostnames/,
      /providers\[0\]\.interval: expected a duration/,
      /providers\[0\]\.password: expected a non-empty string, found a number/,
    ],
  },
  {
    name: "empty hostnames",
    config: ({ noip }) => ({ providers: [{ ...noip, hostnames: [] }] }),
    says: [/providers\[0\]\.hostnames: expected a non-empty list of hostnames .*found a list/],
  },
  {
    name: "an empty hostname",
    config: ({ noip }) => ({ providers: [{ ...noip, hostnames: ["a.ddns.net", ""] }] }),
    says: [/providers\[0\]\.hostnames\[1\]: expected a hostname or group name .*found ""/],
  },
  {
    name: "invalid URLs",
    config: ({ noip, dynamip }) => ({
      ipSources: ["htp:/ip.example"],
      providers: [{ ...noip, server: "ftp://x.example" }, { ...dynamip, server: "not a url" }],
    }),
    says: [
      /ipSources\[0\]: /,
      /providers\[0\]\.server: expected an http:\/\/ or https:\/\/ URL, found "ftp:\/\/x\.example"/,
      /providers\[1\]\.server: expected an http:\/\/ or https:\/\/ URL, found "not a url"/,
    ],
  },
  {
    name: "credentials in the server URL",
    config: ({ noip }) => ({
      providers: [{ ...noip, server: `https://u:${encodeURIComponent(PASSWORD)}@x.example` }],
    }),
    says: [/providers\[0\]\.server: credentials in the URL are not allowed/],
  },
  {
    name: "missing passwordFile",
    config: ({ noip }) => ({
      providers: [{ ...noip, password: undefined, passwordFile: "/nonexistent/noip.pw" }],
    }),
    says: [/providers\[0\]\.passwordFile: \/nonexistent\/noip\.pw: file not found/],
  },
  {
    name: "two password fields",
    config: ({ noip }) => ({ providers: [{ ...noip, passwordEnv: "DNSBEAT_PW" }] }),
    says: [/providers\[0\]: expected exactly one of "password", "passwordFile", "passwordEnv"/],
  },
  {
    name: "duplicate providers",
    config: ({ noip, dynamip }) => ({
      providers: [noip, { ...noip, name: "other" }, { ...dynamip, name: "home" }],
    }),
    says: [
      /providers\[1\]\.hostnames: "a\.ddns\.net" is also updated by provider "home"/,
      /providers\[2\]\.name: "home" is already the name of providers\[0\]; give each provider its own "name"/,
    ],
  },
  {
    name: "no providers",
    config: () => ({ providers: [] }),
    says: [/providers: expected a non-empty list of providers, found a list/],
  },
  {
    name: "not JSON",
    config: ({ noip }) =>
      JSON.stringify({ providers: [noip] }).replace(`"${PASSWORD}"`, `'${PASSWORD}'`),
    says: [/config .*config\.json: not valid JSON \(/],
  },
];

Deno.test("bad config: exit 2 naming the field, no stack trace, no password, for every command", async () => {
  const s = await sandbox({ noipPassword: PASSWORD });
  const noip = s.noip();
  const dynamip = s.dynamip({ password: "other-pw" });
  let runs = 0;
  try {
    for (const c of CASES) {
      const config = c.config({ noip, dynamip });
      await Deno.writeTextFile(
        s.config,
        typeof config === "string" ? config : JSON.stringify({ state: s.state, ...config }),
        { mode: 0o600 },
      );
      const commands = c === CASES[0]
        ? [["check"], ["once"], ["run"], ["status", "--json"], [
          "resume",
        ]]
        : [["check"], ["once"]];
      for (const args of commands) {
        const r = await s.run(args);
        runs++;
        const what = `${c.name}, ${args[0]}`;
        assert.equal(r.code, ExitCode.Usage, `${what}: ${r.stdout}${r.stderr}`);
        for (const pattern of c.says) assert.match(r.stderr, pattern, what);
        assert.match(
          r.stderr,
          /The config has \d+ problem\(s\); fix them and run `dnsbeat check`\./,
        );
        assert.doesNotMatch(r.stdout + r.stderr, /^\s+at /m, `${what}: a stack trace`);
        for (const form of [PASSWORD, encodeURIComponent(PASSWORD), "other-pw"]) {
          assert.ok(!(r.stdout + r.stderr).includes(form), `${what}: the password`);
        }
      }
    }
    assert.equal(s.noipRequests(), 0, "nothing was sent");

    for (
      const [path, says] of [
        [
          `${s.dir}/absent.json`,
          /config .*absent\.json: not found \(give --config PATH or set DNSBEAT_CONFIG\)/,
        ],
        [s.dir, /config .*: is a directory/],
      ] as const
    ) {
      const r = await dnsbeat(["once", "--config", path]);
      runs++;
      assert.equal(r.code, ExitCode.Usage, r.stderr);
      assert.match(r.stderr, says);
    }
    report(
      `${CASES.length + 2} bad configs, ${runs} runs: all exit 2 naming the field, no stack trace`,
    );
  } finally {
    await s.close();
  }
});

Deno.test("bad config: a world-readable passwordFile is a warning; dnsbeat still runs", async () => {
  const s = await sandbox({ noipPassword: PASSWORD });
  try {
    const file = `${s.dir}/noip.pw`;
    await Deno.writeTextFile(file, `${PASSWORD}\n`);
    await Deno.chmod(file, 0o644);
    await s.writeConfig([s.noip({ password: undefined, passwordFile: file })]);
    for (const command of ["check", "once"]) {
      const r = await s.run([command]);
      assert.equal(r.code, ExitCode.Ok, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `warn: config .*: providers\\[0\\]\\.passwordFile: ${file} can be read by every user; run: chmod 600 ${file}`,
        ),
      );
      assert.ok(!(r.stdout + r.stderr).includes(PASSWORD));
    }
    assert.equal(s.noipRequests(), 1, "the update went out");
    report("world-readable passwordFile: warning naming chmod 600, check and once exit 0");
  } finally {
    await s.close();
  }
});
