import assert from "node:assert/strict";
import { type ConfigDeps, parseConfig } from "../lib/config/mod.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import type { HealthcheckSink, WebhookSink } from "../lib/notify/config.ts";
import { startReceiver } from "./helpers/receiver.ts";
import { sandbox } from "./helpers/sandbox.ts";
import { noipProvider } from "./helpers/fixtures.ts";
import { assertNoSecret } from "./helpers/secret.ts";

const PATH = "/etc/dnsbeat/config.json";
const TOKEN = "tk_9f2Rw-secret";
const HOOK = `https://ntfy.example/${TOKEN}`;

function deps(
  files: Record<string, { text: string; worldReadable: boolean }>,
  env: Record<string, string> = {},
): ConfigDeps {
  return {
    readSecretFile: (path) => files[path] ?? { error: "file not found" },
    env: (name) => env[name],
  };
}

/** A config with one No-IP provider and `notify`. */
function config(notify: unknown[]) {
  return {
    providers: [noipProvider({ name: "home", password: "Pw-for-sink-tests!" })],
    notify,
  };
}

async function parse(notify: unknown[], d: ConfigDeps) {
  const result = await parseConfig(config(notify), PATH, d);
  const said = JSON.stringify(result);
  const shown = result.ok ? said.replace(JSON.stringify(result.config), "") : said;
  assertNoSecret(shown, TOKEN, "a message");
  return result;
}

Deno.test("sink secrets: urlFile, urlEnv, failUrlFile and header forms give their first line", async () => {
  const d = deps(
    {
      "/run/credentials/dnsbeat/hook": { text: `${HOOK}\r\n`, worldReadable: false },
      "/run/credentials/dnsbeat/fail": {
        text: `https://hc.example/${TOKEN}/fail\n`,
        worldReadable: false,
      },
    },
    { DNSBEAT_HC: `https://hc.example/${TOKEN}`, DNSBEAT_AUTH: `Bearer ${TOKEN}` },
  );
  const result = await parse([
    {
      type: "webhook",
      name: "phone",
      urlFile: "/run/credentials/dnsbeat/hook",
      headers: { Authorization: { env: "DNSBEAT_AUTH" }, Title: "dnsbeat" },
    },
    {
      type: "healthcheck",
      name: "hc",
      urlEnv: "DNSBEAT_HC",
      failUrlFile: "/run/credentials/dnsbeat/fail",
    },
  ], d);
  assert.ok(result.ok, JSON.stringify(result));
  const [hook, hc] = result.config.notify.sinks as [WebhookSink, HealthcheckSink];
  assert.equal(hook.url.source, HOOK);
  assert.deepEqual(hook.headers.map((h) => h.name), ["Authorization", "Title"]);
  assert.equal(hc.url.source, `https://hc.example/${TOKEN}`);
  assert.equal(hc.failUrl.source, `https://hc.example/${TOKEN}/fail`);
  assert.deepEqual(result.warnings, []);
});

Deno.test("sink secrets: the password's rules and words, each problem named once", async () => {
  const d = deps({
    "/etc/dnsbeat/open": { text: `${HOOK}\n`, worldReadable: true },
    "/etc/dnsbeat/empty": { text: "\n\n", worldReadable: false },
  });
  const cases: [unknown, string][] = [
    [
      { url: HOOK, urlFile: "/etc/dnsbeat/open" },
      'notify[0]: expected exactly one of "url", "urlFile", "urlEnv", found url and urlFile',
    ],
    [
      { urlFile: "/etc/dnsbeat/missing" },
      "notify[0].urlFile: /etc/dnsbeat/missing: file not found",
    ],
    [
      { urlFile: "/etc/dnsbeat/empty" },
      "notify[0].urlFile: /etc/dnsbeat/empty is empty or blank; put the URL on its first line",
    ],
    [
      { urlEnv: "HOOK_URL" },
      'notify[0].urlEnv: expected the name of an environment variable starting with DNSBEAT_ (dnsbeat may read no other variables), like "DNSBEAT_NOIP_PASSWORD"; the value is not shown, in case it is the URL itself',
    ],
    [
      { urlEnv: "DNSBEAT_UNSET" },
      "notify[0].urlEnv: the variable DNSBEAT_UNSET is not set or empty; set it to the URL in dnsbeat's environment",
    ],
    [
      { url: HOOK, headers: { Authorization: { file: "/x", env: "DNSBEAT_X" } } },
      'notify[0].headers.Authorization: expected a string, { "file": "/path/to/secret" } or { "env": "DNSBEAT_NAME" }',
    ],
  ];
  for (const [fields, problem] of cases) {
    const result = await parse([{ type: "webhook", name: "phone", ...(fields as object) }], d);
    assert.ok(!result.ok);
    assert.deepEqual(result.errors, [problem]);
  }
  const open = await parse([{ type: "webhook", name: "phone", urlFile: "/etc/dnsbeat/open" }], d);
  assert.ok(open.ok);
  assert.deepEqual(open.warnings, [
    "notify[0].urlFile: /etc/dnsbeat/open can be read by every user; run: chmod 600 /etc/dnsbeat/open",
  ]);
});

Deno.test("black-box: a webhook URL and a header from files reach the receiver; no output holds them", async () => {
  await using s = await sandbox();
  await using receiver = startReceiver();
  const urlFile = `${s.dir}/hook.url`;
  await Deno.writeTextFile(urlFile, `${receiver.url}/hook/${TOKEN}\n`, { mode: 0o600 });
  await s.writeConfig([s.noip()], {
    notify: [{
      type: "webhook",
      name: "phone",
      urlFile,
      headers: { Authorization: { env: "DNSBEAT_HOOK_AUTH" } },
      timeout: "2s",
    }],
  });
  const env = { DNSBEAT_HOOK_AUTH: `Bearer ${TOKEN}` };
  const check = await s.run(["check"], { env });
  assert.equal(check.code, ExitCode.Ok, check.stderr);
  const sent = await s.run(["notify-test"], { env });
  assert.equal(sent.code, ExitCode.Ok, sent.stderr);
  const [request] = await receiver.received(1);
  assert.equal(request?.path, `/hook/${TOKEN}`);
  assert.equal(request?.headers.authorization, `Bearer ${TOKEN}`);
  assertNoSecret([check.stdout, check.stderr, sent.stdout, sent.stderr], TOKEN);
});
