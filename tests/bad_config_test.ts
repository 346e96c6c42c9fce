/**
 * Bad configs through the CLI: every command that reads the config exits 2, the message names the
 * field and what was expected, no stack trace, no password or sink token; a world-readable
 * password file is a warning and dnsbeat still runs. Message by message: tests/config_test.ts.
 */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { dnsbeat, sandbox } from "./helpers/sandbox.ts";
import { report } from "./helpers/report.ts";
import { assertNoSecret } from "./helpers/secret.ts";

const PASSWORD = "bad-C0nfig&pw=?";
/** A notification sink's token, written where the config wants something else. */
const SINK_TOKEN = "s3cr3t-tok";

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
    says: [
      /providers\[0\]\.hostnames: expected a non-empty list of hostnames .*found an empty list/,
    ],
  },
  {
    name: "an empty hostname",
    config: ({ noip }) => ({ providers: [{ ...noip, hostnames: ["a.ddns.net", ""] }] }),
    says: [/providers\[0\]\.hostnames\[1\]: expected a hostname or group name .*found ""/],
  },
  {
    name: "hostnames with a trailing dot, in Unicode, with a long label",
    config: ({ noip }) => ({
      providers: [{
        ...noip,
        hostnames: ["a.ddns.net.", "bücher.ddns.net", `${"x".repeat(64)}.ddns.net`],
      }],
    }),
    says: [
      /providers\[0\]\.hostnames\[0\]: "a\.ddns\.net\." ends with a dot; remove the trailing dot: No-IP wants the name without it: "a\.ddns\.net"/,
      /providers\[0\]\.hostnames\[1\]: "bücher\.ddns\.net" is not ASCII; write it in its ASCII \(punycode\) form: "xn--bcher-kva\.ddns\.net"/,
      /providers\[0\]\.hostnames\[2\]: "x+\.\.\. has a label of 64 characters .*may have at most 63/,
    ],
  },
  {
    name: "empty source lists",
    config: ({ noip }) => ({ ipSources: [], ipv6Sources: [], providers: [noip] }),
    says: [
      /ipSources: expected a non-empty list like .*, found an empty list/,
      /ipv6Sources: expected a non-empty list like .*, found an empty list/,
    ],
  },
  {
    name: "forceRefresh under a week",
    config: ({ noip }) => ({ providers: [{ ...noip, forceRefresh: "1d" }] }),
    says: [
      /providers\[0\]\.forceRefresh: at least 7d: No-IP counts repeated nochg as abuse; a refresh more often than weekly risks the account \(found "1d"\); use "25d" \(the default\) or "never"/,
    ],
  },
  {
    name: "a userAgentContact that is neither an e-mail address nor a URL",
    config: ({ noip }) => ({ userAgentContact: "me at example.com", providers: [noip] }),
    says: [
      /userAgentContact: "me at example\.com" has " ": the contact is one field of the User-Agent/,
    ],
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
    says: [/providers: expected a non-empty list of providers, found an empty list/],
  },
  {
    name: "a sink's token where a list of events or a name goes",
    config: ({ noip }) => ({
      providers: [noip],
      notify: [{
        type: "webhook",
        url: "https://hooks.example/x",
        name: { token: SINK_TOKEN },
        events: { token: SINK_TOKEN },
      }],
    }),
    says: [
      /notify\[0\]\.name: expected a name of 1 to 64 characters on one line, found an object/,
      /notify\[0\]\.events: expected a non-empty list of events like \["stopped", "failing"\] \(known: .*\), found an object/,
    ],
  },
  {
    name: "not JSON",
    config: ({ noip }) =>
      JSON.stringify({ providers: [noip] }).replace(`"${PASSWORD}"`, `'${PASSWORD}'`),
    says: [/config .*config\.json: not valid JSON \(/],
  },
];

Deno.test("bad config: exit 2 naming the field, no stack trace, no password, for every command", async () => {
  await using s = await sandbox({ noipPassword: PASSWORD });
  const noip = s.noip();
  const dynamip = s.dynamip({ password: "other-pw" });
  let runs = 0;
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
      assertNoSecret([r.stdout, r.stderr], [PASSWORD, "other-pw", SINK_TOKEN], what);
    }
  }
  assert.equal(s.noipRequests(), 0, "nothing was sent");

  for (
    const [path, says] of [
      [
        `${s.dir}/absent.json`,
        new RegExp(
          `error: config ${s.dir}/absent\\.json: not found; create it \\(see examples/noip\\.json\\) or pass --config PATH \\(or set DNSBEAT_CONFIG\\)\n`,
        ),
      ],
      [s.dir, new RegExp(`error: config ${s.dir}: is a directory; pass the config file itself`)],
    ] as const
  ) {
    const r = await dnsbeat(["once", "--config", path]);
    runs++;
    assert.equal(r.code, ExitCode.Usage, r.stderr);
    assert.match(r.stderr, says);
    assert.equal(r.stderr.match(/config \//g)?.length, 1, `the file is named once: ${r.stderr}`);
  }
  report(
    `${CASES.length + 2} bad configs, ${runs} runs: all exit 2 naming the field, no stack trace`,
  );
});

Deno.test("bad config: a world-readable passwordFile is a warning; dnsbeat still runs", async () => {
  await using s = await sandbox({ noipPassword: PASSWORD });
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
    assertNoSecret([r.stdout, r.stderr], PASSWORD);
  }
  assert.equal(s.noipRequests(), 1, "the update went out");
  report("world-readable passwordFile: warning naming chmod 600, check and once exit 0");
});

Deno.test("bad config: the first line of a passwordFile is empty: exit 2 saying the rule", async () => {
  await using s = await sandbox({ noipPassword: PASSWORD });
  const file = `${s.dir}/noip.pw`;
  await Deno.writeTextFile(file, `\n${PASSWORD}\n`, { mode: 0o600 });
  await s.writeConfig([s.noip({ password: undefined, passwordFile: file })]);
  const r = await s.run(["check"]);
  assert.equal(r.code, ExitCode.Usage, r.stderr);
  assert.ok(
    r.stderr.includes(
      `providers[0].passwordFile: the first line of ${file} is empty: dnsbeat reads the password from the first line only; put the password on the first line`,
    ),
    r.stderr,
  );
  assertNoSecret([r.stdout, r.stderr], PASSWORD);
});

Deno.test("bad config: an inline password in a config every user can read is a warning", async () => {
  await using s = await sandbox({ noipPassword: PASSWORD });
  await Deno.chmod(s.config, 0o644);
  for (const command of ["check", "once"]) {
    const r = await s.run([command]);
    assert.equal(r.code, ExitCode.Ok, r.stderr);
    assert.ok(
      r.stderr.includes(
        `warn: config ${s.config}: providers[0].password: the config can be read by every user and holds this password inline; run: chmod 600 ${s.config}`,
      ),
      r.stderr,
    );
    assertNoSecret([r.stdout, r.stderr], PASSWORD);
  }
  await Deno.chmod(s.config, 0o600);
  const quiet = await s.run(["check"]);
  assert.equal(quiet.code, ExitCode.Ok, quiet.stderr);
  assert.doesNotMatch(quiet.stderr, /can be read by every user/);
  report("inline password in a world-readable config: warning naming chmod 600, exit 0");
});
