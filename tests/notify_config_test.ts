import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type ExecSink,
  type HealthcheckSink,
  type NotifyConfig,
  parseNotifyConfig,
  type Sink,
  type WebhookSink,
} from "../lib/notify/config.ts";
import { Validator } from "../lib/config/validate.ts";
import { EVENT_KINDS } from "../lib/notify/events.ts";
import { EXAMPLE_SINKS } from "./helpers/example_sinks.ts";
import { describeSink, sinkSecrets } from "../lib/notify/secrets.ts";

const BRIEF_EXAMPLE = {
  failingAfter: "2h",
  notify: [
    {
      type: "webhook",
      name: "phone",
      url: "https://ntfy.sh/my-topic",
      method: "POST",
      headers: { Title: "dnsbeat: {{title}}" },
      body: "{{message}} {{action}}",
      events: ["stopped", "failing", "expiring"],
    },
    { type: "healthcheck", name: "hc", url: "https://hc-ping.com/UUID", failUrl: null },
    {
      type: "exec",
      name: "fw",
      command: ["/usr/local/bin/update-firewall"],
      timeout: "30s",
      events: ["updated"],
    },
  ],
};

/** The notification settings of `config`, and the problems found. */
function parse(config: Record<string, unknown>): { config: NotifyConfig; errors: string[] } {
  const v = new Validator({ readSecretFile: () => ({ error: "none" }), env: () => undefined }, "");
  return { config: parseNotifyConfig(v, config), errors: v.errors };
}

function sinks(notify: unknown[], extra: Record<string, unknown> = {}): Sink[] {
  const result = parse({ notify, ...extra });
  if (result.errors.length > 0) throw new Error(result.errors.join("\n"));
  return [...result.config.sinks];
}

function errors(notify: unknown, extra: Record<string, unknown> = {}): string[] {
  const result = parse({ notify, ...extra });
  assert.notEqual(result.errors.length, 0, "expected the config to be refused");
  return result.errors;
}

function one(notify: unknown, extra: Record<string, unknown> = {}): string {
  const found = errors(notify, extra);
  assert.equal(found.length, 1, found.join("\n"));
  return found[0]!;
}

Deno.test("config: the example of the issue validates, with defaults filled in", () => {
  const result = parse(BRIEF_EXAMPLE);
  assert.deepEqual(result.errors, []);
  assert.equal(result.config.failingAfterMs, 2 * 3600_000);
  const [phone, hc, fw] = result.config.sinks as [WebhookSink, HealthcheckSink, ExecSink];
  assert.equal(phone.type, "webhook");
  assert.equal(phone.field, "notify[0]");
  assert.equal(phone.method, "POST");
  assert.equal(phone.timeoutMs, 10_000);
  assert.deepEqual(phone.events, ["stopped", "failing", "expiring"]);
  assert.deepEqual(phone.headers.map((h) => h.name), ["Title"]);
  assert.equal(phone.body?.kind, "text");
  assert.equal(hc.type, "healthcheck");
  assert.equal(hc.method, "GET");
  assert.deepEqual(hc.events, [...EVENT_KINDS]);
  assert.equal(hc.url.source, "https://hc-ping.com/UUID");
  assert.equal(hc.failUrl.source, "https://hc-ping.com/UUID/fail");
  assert.equal(fw.type, "exec");
  assert.deepEqual(fw.command, ["/usr/local/bin/update-firewall"]);
  assert.equal(fw.timeoutMs, 30_000);
});

Deno.test("config: no notify section means no sinks and failingAfter 1h", () => {
  assert.deepEqual(parse({}), { config: { sinks: [], failingAfterMs: 3600_000 }, errors: [] });
});

Deno.test("config: defaults of each sink type", () => {
  const [webhook, get, hc, exec] = sinks([
    { type: "webhook", url: "https://example.com/a" },
    { type: "webhook", name: "get", url: "https://example.com/b", method: "GET" },
    { type: "healthcheck", url: "https://hc-ping.com/abc/?create=1", timeout: "5s" },
    { type: "exec", command: ["/bin/true", "--flag"], timeout: "500ms" },
  ]) as [WebhookSink, WebhookSink, HealthcheckSink, ExecSink];
  assert.equal(webhook.name, "webhook");
  assert.deepEqual(webhook.events, [...EVENT_KINDS]);
  assert.deepEqual(webhook.body?.kind === "text" && webhook.body.template.source, "{{body}}");
  assert.equal(get.body, null);
  assert.equal(hc.name, "healthcheck");
  assert.equal(hc.failUrl.source, "https://hc-ping.com/abc/fail?create=1");
  assert.equal(hc.timeoutMs, 5000);
  assert.equal(exec.name, "exec");
  assert.equal(exec.timeoutMs, 500);
});

Deno.test("config: a failUrl template (Uptime Kuma) and JSON bodies", () => {
  const [kuma, discord] = sinks([
    {
      type: "healthcheck",
      url: "https://kuma.example/api/push/tok?status=up&msg=OK",
      failUrl: "https://kuma.example/api/push/tok?status=down&msg={{message}}",
    },
    { type: "webhook", url: "https://discord.com/api/webhooks/1/x", body: { content: "{{body}}" } },
  ]) as [HealthcheckSink, WebhookSink];
  assert.equal(
    kuma.failUrl.source,
    "https://kuma.example/api/push/tok?status=down&msg={{message}}",
  );
  assert.equal(discord.body?.kind, "json");
});

Deno.test("config: every example sink validates", () => {
  const all = sinks(Object.values(EXAMPLE_SINKS));
  assert.equal(all.length, Object.keys(EXAMPLE_SINKS).length);
  for (const sink of all) assert.ok(describeSink(sink).length > 0);
});

Deno.test("config: problems name the field and say what is expected", () => {
  const cases: [unknown, RegExp][] = [
    [
      { type: "webhook", url: "ftp://example.com/x" },
      /^notify\[0\]\.url: expected an http:\/\/ or https:\/\/ URL, found a "ftp:" URL$/,
    ],
    [
      { type: "webhook", url: "not a url" },
      /^notify\[0\]\.url: expected an http:\/\/ or https:\/\/ URL, found text that is not a URL \(not shown/,
    ],
    [
      { type: "webhook" },
      /^notify\[0\]\.url: expected an http:\/\/ or https:\/\/ URL, found nothing$/,
    ],
    [
      { type: "webhook", url: "https://u:p@example.com/" },
      /^notify\[0\]\.url: a user name or password in the URL is not allowed; send it in "headers"/,
    ],
    [
      { type: "webhook", url: "https://{{provider}}.example.com/" },
      /^notify\[0\]\.url: placeholders may stand only in the path and query/,
    ],
    [
      { type: "webhook", url: "https://x.example/{{titel}}" },
      /^notify\[0\]\.url: unknown placeholder \{\{titel\}\} \(did you mean \{\{title\}\}\?\)/,
    ],
    [
      { type: "webhook", url: "https://x.example/", events: ["stoped"] },
      /^notify\[0\]\.events\[0\]: unknown event "stoped" \(did you mean "stopped"\?\); known: "updated"/,
    ],
    [
      { type: "webhook", url: "https://x.example/", events: [] },
      /^notify\[0\]\.events: expected a non-empty list/,
    ],
    [
      { type: "webhook", url: "https://x.example/", method: "post" },
      /^notify\[0\]\.method: expected one of "POST", "PUT", "GET", found "post" \(did you mean "POST"\?\)$/,
    ],
    [
      { type: "webhook", url: "https://x.example/", method: "GET", body: "x" },
      /^notify\[0\]\.body: a GET request has no body; remove "body" or set "method" to "POST"$/,
    ],
    [
      { type: "webhook", url: "https://x.example/", body: '{"a": "{{message}}"}' },
      /^notify\[0\]\.body: write a JSON body as JSON, not as a string/,
    ],
    [{
      type: "webhook",
      url: "https://x.example/",
      headers: { "Content-Type": "application/json" },
      body: "x",
    }, /^notify\[0\]\.body: write a JSON body as JSON/],
    [
      {
        type: "webhook",
        url: "https://x.example/",
        headers: { "Content-Type": "text/html" },
        body: "<b>{{message}}</b>",
      },
      /^notify\[0\]\.body: dnsbeat writes values safely only into a plain-text .* says "text\/html"/,
    ],
    [{
      type: "webhook",
      url: "https://x.example/",
      headers: { "Content-Type": "{{kind}}" },
      body: "x",
    }, /^notify\[0\]\.headers\.Content-Type: placeholders are not allowed here/],
    [
      {
        type: "webhook",
        url: "https://x.example/",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: { a: "{{message}}" },
      },
      /^notify\[0\]\.body: a JSON body is sent as JSON, and the Content-Type header says "application\/x-www-form-urlencoded"/,
    ],
    [
      { type: "webhook", url: "https://x.example/", body: { a: "{{nope}}" } },
      /^notify\[0\]\.body\.a: unknown placeholder \{\{nope\}\}/,
    ],
    [
      { type: "webhook", url: "https://x.example/", body: 5 },
      /^notify\[0\]\.body: expected text, or a JSON object or list/,
    ],
    [
      { type: "webhook", url: "https://x.example/", headers: { Host: "x" } },
      /^notify\[0\]\.headers\.Host: dnsbeat sets this header itself; remove it$/,
    ],
    [
      { type: "webhook", url: "https://x.example/", headers: { A: "1", a: "2" } },
      /^notify\[0\]\.headers\.a: given twice/,
    ],
    [
      { type: "webhook", url: "https://x.example/", headers: { A: 1 } },
      /^notify\[0\]\.headers\.A: expected a string, found a number$/,
    ],
    [
      { type: "webhook", url: "https://x.example/", headers: { A: "{{json:hosts}}" } },
      /^notify\[0\]\.headers\.A: \{\{json:hosts\}\} belongs only in a JSON body/,
    ],
    [
      { type: "webhook", url: "https://x.example/", headers: [] },
      /^notify\[0\]\.headers: expected an object of header names and values/,
    ],
    [
      { type: "webhook", url: "https://x.example/", timeout: "10" },
      /^notify\[0\]\.timeout: expected a duration like "90s", "5m", "1h30m" or "25d", found "10"$/,
    ],
    [
      { type: "webhook", url: "https://x.example/", timeout: "50ms" },
      /^notify\[0\]\.timeout: must be between 100ms and 10m, found "50ms"$/,
    ],
    [
      { type: "webhook", url: "https://x.example/", titel: "x" },
      /^notify\[0\]\.titel: unknown field; known: type, name, url/,
    ],
    [
      { type: "webhook", url: "https://x.example/", event: ["x"] },
      /^notify\[0\]\.event: unknown field \(did you mean "events"\?\)/,
    ],
    [
      { type: "webhook", url: "https://x.example/", name: "" },
      /^notify\[0\]\.name: expected a name of 1 to 64 characters on one line, found ""$/,
    ],
    [
      { type: "email" },
      /^notify\[0\]\.type: expected "webhook", "healthcheck" or "exec", found "email"$/,
    ],
    ["x", /^notify\[0\]: expected an object like \{ "type": "webhook"/],
    [
      { type: "healthcheck", url: "https://hc/x", failUrl: "mailto:a@b" },
      /^notify\[0\]\.failUrl: expected an http:\/\/ or https:\/\/ URL, found a "mailto:" URL$/,
    ],
    [
      { type: "healthcheck", url: "https://hc/x", failUrl: "https://hc/{{title}}" },
      /^notify\[0\]\.failUrl: unknown placeholder \{\{title\}\}.*known: \{\{status\}\}, \{\{message\}\}, \{\{time\}\}$/,
    ],
    [
      { type: "healthcheck", url: "https://hc/x", method: "PUT" },
      /^notify\[0\]\.method: expected one of "GET", "POST", found "PUT"$/,
    ],
    [
      { type: "exec", command: "/bin/true" },
      /^notify\[0\]\.command: expected a list of the program and its arguments/,
    ],
    [
      { type: "exec", command: ["update-firewall"] },
      /^notify\[0\]\.command\[0\]: expected the absolute path of the program, like "\/usr\/local\/bin\/update-firewall" \(run `command -v NAME` to find it\), found a relative path or a bare name/,
    ],
    [
      { type: "exec", command: ["/bin/x", 5] },
      /^notify\[0\]\.command\[1\]: expected a string without NUL characters, found a number/,
    ],
  ];
  for (const [entry, pattern] of cases) assert.match(one([entry]), pattern);
});

Deno.test("config: the list itself, failingAfter and duplicate names", () => {
  assert.match(one({ type: "webhook" }), /^notify: expected a list of sinks/);
  assert.match(
    one([], { failingAfter: "30s" }),
    /^failingAfter: must be at least 1m, found "30s"$/,
  );
  assert.match(one([], { failingAfter: 60 }), /^failingAfter: expected a duration like/);
  assert.match(
    one([{ type: "exec", command: ["/bin/true"] }, { type: "exec", command: ["/bin/false"] }]),
    /^notify\[1\]\.name: "exec" is also the name of notify\[0\]; give each sink its own "name"$/,
  );
  const many = errors([{ type: "webhook", url: "ftp://x/" }, { type: "exec", command: [] }]);
  assert.equal(many.length, 2);
});

const TOKEN = fc.stringMatching(/^[A-Za-z0-9_-]{24,40}$/);

/** Configs that put `t` where secrets go and get something else wrong. */
function secretCarriers(t: string): unknown[] {
  return [
    { type: "webhook", url: `ftp://host.example/${t}` },
    { type: "webhook", url: `https://host.example/${t}?token=${t}`, timeout: "x" },
    { type: "webhook", url: `not a url ${t}` },
    { type: "webhook", url: `https://user:${t}@host.example/` },
    { type: "webhook", url: `https://host.example/${t}/{{nope}}` },
    { type: "webhook", url: `https://host.example/{{${t}}}` },
    { type: "webhook", url: t },
    { type: "webhook", url: "https://x/", headers: { [`Authorization: Bearer ${t}`]: "x" } },
    { type: "webhook", url: "https://x/", headers: { Authorization: `Bearer ${t}\r\n` } },
    { type: "webhook", url: "https://x/", headers: { Authorization: `Bearer ${t} {{nope}}` } },
    { type: "webhook", url: "https://x/", headers: { "X-Token": `${t}{{json:hosts}}` } },
    { type: "webhook", url: "https://x/", body: `{"token": "${t}"}` },
    { type: "webhook", url: "https://x/", body: { token: t, m: "{{nope}}" } },
    { type: "webhook", url: "https://x/", body: `${t} {{nope}}` },
    { type: "webhook", url: "https://x/", method: "GET", body: t },
    { type: "webhook", url: "https://x/", [t]: 1 },
    { type: "healthcheck", url: `https://hc.example/${t}`, failUrl: `ftp://hc.example/${t}` },
    { type: "exec", command: [t] },
    { type: "exec", command: ["/bin/x", t, 5] },
    { type: "exec", command: ["/bin/x", `${t}\0`] },
    { type: "webhook", url: "https://x/", events: { token: t } },
    { type: "webhook", url: "https://x/", events: [{ token: t }] },
    { type: "webhook", url: "https://x/", name: { token: t } },
    { type: "webhook", url: "https://x/", method: { token: t } },
    { type: "webhook", url: "https://x/", timeout: { token: t } },
    { type: { token: t }, url: "https://x/" },
    `https://x/${t}`,
  ];
}

Deno.test("config: no validation message shows a token from a URL, header, body or command", () => {
  fc.assert(
    fc.property(TOKEN, (t) => {
      for (const [i, carrier] of secretCarriers(t).entries()) {
        const found = errors([carrier]);
        assert.ok(found.length > 0, `case ${i} was accepted`);
        for (const message of found) {
          assert.ok(!message.includes(t), `case ${i} shows the token: ${message}`);
          assert.ok(!message.includes(t.slice(0, 12)), `case ${i} shows part of it: ${message}`);
        }
      }
    }),
    { numRuns: 30 },
  );
});

Deno.test("config: a token in an object where a list or a name goes is named by its kind only", () => {
  const [events] = errors([{
    type: "webhook",
    url: "https://x/",
    events: { token: "s3cr3t-tok" },
  }]);
  assert.match(
    events!,
    /^notify\[0\]\.events: expected a non-empty list of events .*, found an object$/,
  );
  const [after] = errors([], { failingAfter: { token: "s3cr3t-tok" } });
  assert.match(after!, /^failingAfter: expected a duration like .*, found an object$/);
  for (const message of [events, after]) assert.ok(!message!.includes("s3cr3t"), message);
});

Deno.test("describeSink: scheme and host only, header names, no values or arguments", () => {
  fc.assert(
    fc.property(TOKEN, TOKEN, (t, u) => {
      const all = sinks([
        {
          type: "webhook",
          name: "phone",
          url: `https://ntfy.example:8443/${t}?auth=${u}`,
          headers: { Authorization: `Bearer ${u}`, Title: `x ${t}` },
          body: { token: t, text: "{{message}}" },
          events: ["stopped", "failing"],
        },
        {
          type: "healthcheck",
          url: `https://hc-ping.com/${t}`,
          failUrl: `https://hc-ping.com/${u}/fail?m={{message}}`,
        },
        { type: "exec", name: "fw", command: ["/usr/local/bin/fw", t, u], timeout: "300ms" },
      ]);
      const lines = all.map(describeSink);
      for (const line of lines) {
        assert.ok(!line.includes(t) && !line.includes(u), line);
      }
      assert.equal(
        lines[0],
        'webhook "phone" (notify[0]): POST https://ntfy.example:8443/… (path and query hidden); headers Authorization, Title (values hidden); JSON body; events stopped, failing; timeout 10s',
      );
      assert.equal(
        lines[1],
        'healthcheck "healthcheck" (notify[1]): GET https://hc-ping.com/… when ok, https://hc-ping.com/… on failure (paths and queries hidden); all events; timeout 10s',
      );
      assert.equal(
        lines[2],
        'exec "fw" (notify[2]): runs /usr/local/bin/fw with 2 arguments (hidden), no shell; all events; timeout 300ms',
      );
    }),
    { numRuns: 20 },
  );
});

Deno.test("sinkSecrets: lists URLs, tokens, credential headers, body keys and token arguments", () => {
  fc.assert(
    fc.property(TOKEN, TOKEN, TOKEN, (t, u, v) => {
      const secrets = sinkSecrets(sinks([
        {
          type: "webhook",
          name: "a",
          url: `https://discord.com/api/webhooks/123/${t}?wait=true`,
          headers: { Authorization: `Bearer ${u}`, "X-Custom": v, Title: "dnsbeat: {{title}}" },
        },
        {
          type: "webhook",
          name: "b",
          url: `https://ntfy.sh/topic?auth=${u}`,
          body: { token: v, user: t, message: "{{message}}", priority: "high" },
        },
        { type: "healthcheck", url: `https://hc-ping.com/${t}`, failUrl: `https://k/p?t=${v}` },
        { type: "exec", command: ["/usr/local/bin/fw", "--verbose", t] },
      ]));
      for (const token of [t, u, v, `Bearer ${u}`]) assert.ok(secrets.includes(token), token);
      assert.ok(secrets.includes(`https://discord.com/api/webhooks/123/${t}?wait=true`));
      assert.ok(secrets.includes(`/api/webhooks/123/${t}?wait=true`));
      for (const plain of ["dnsbeat: {{title}}", "high", "{{message}}", "--verbose", "api"]) {
        assert.ok(!secrets.includes(plain), plain);
      }
    }),
    { numRuns: 20 },
  );
});
