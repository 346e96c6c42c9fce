import assert from "node:assert/strict";
import fc from "fast-check";
import {
  createEvent,
  EVENT_KINDS,
  eventBody,
  eventId,
  eventTitle,
  type NotifyEvent,
} from "../lib/notify/events.ts";
import {
  EVENT_FIELDS,
  eventFields,
  type JsonTemplate,
  parseJsonTemplate,
  parseTemplate,
  renderHeader,
  renderJson,
  renderText,
  renderUrl,
  type Template,
} from "../lib/notify/template.ts";

const HOSTILE = [
  'quote " and \\ backslash',
  "new\nline\r\nand\ttab",
  "{{title}} and {{json:event}} and {{",
  "}} closing first",
  "unicode: äöü ß — 日本語 🎉",
  "lone surrogate \ud800 here",
  "control \u0000\u0001\u001f\u007f chars",
  "</script><b>html</b>",
  "%41%0d%0a percent",
  "a&b=c/d?e#f g+h",
  "",
];

function event(overrides: Partial<Parameters<typeof createEvent>[0]> = {}): NotifyEvent {
  return createEvent({
    kind: "stopped",
    provider: "home",
    providerType: "noip",
    hosts: ["a.ddns.net", "b.ddns.net"],
    addresses: ["203.0.113.7"],
    reply: "badauth",
    message: "No-IP says badauth: the username or password is wrong.",
    action: "Fix the password, then run `dnsbeat resume home`.",
    time: "2026-01-01T00:00:00.000Z",
    ...overrides,
  });
}

function template(source: string): Template {
  const parsed = parseTemplate(source, EVENT_FIELDS);
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  return parsed.template;
}

function jsonTemplate(value: unknown): JsonTemplate {
  const parsed = parseJsonTemplate(value, EVENT_FIELDS);
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  return parsed.template;
}

Deno.test("text: placeholders take the event's values; lists joined, null empty", () => {
  const e = event({ action: null, reply: null });
  const out = renderText(
    template(
      "{{kind}}|{{provider}}|{{type}}|{{hosts}}|{{addresses}}|{{reply}}|{{action}}|{{time}}",
    ),
    eventFields(e),
  );
  assert.equal(
    out,
    "stopped|home|noip|a.ddns.net, b.ddns.net|203.0.113.7|||2026-01-01T00:00:00.000Z",
  );
  assert.equal(renderText(template("{{ message }}"), eventFields(e)), e.message);
  assert.equal(renderText(template("{{title}}"), eventFields(e)), eventTitle(e));
  assert.equal(renderText(template("{{body}}"), eventFields(e)), eventBody(e));
  assert.equal(renderText(template("{{id}}"), eventFields(e)), e.id);
});

Deno.test("text: substitution is one pass, so {{ in a value stays as it is", () => {
  const e = event({ message: "{{title}} {{json:event}} {{nope" });
  assert.equal(
    renderText(template("<{{message}}>"), eventFields(e)),
    "<{{title}} {{json:event}} {{nope>",
  );
});

Deno.test("json: hostile strings stay inside their JSON strings", () => {
  // Parsed from JSON text, as the config is: "__proto__" is then a plain key.
  const body = jsonTemplate(JSON.parse(`{
    "content": "A {{message}} B",
    "title": "{{title}}",
    "nested": [{ "action": "{{action}}", "reply": "{{json:reply}}" }, 5, true, null],
    "hosts": "{{json:hosts}}",
    "__proto__": "{{provider}}"
  }`));
  for (const text of HOSTILE) {
    const e = event({ message: text, action: text, reply: text, provider: text, hosts: [text] });
    const parsed = JSON.parse(renderJson(body, eventFields(e)));
    assert.equal(parsed.content, `A ${text} B`);
    assert.deepEqual(parsed.nested, [{ action: text, reply: text }, 5, true, null]);
    assert.deepEqual(parsed.hosts, [text]);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(parsed, "__proto__")?.value, text);
    assert.equal(Object.keys(parsed).length, 5);
  }
});

Deno.test("json: any message, provider and hosts give valid JSON with the same values", () => {
  const body = jsonTemplate({ m: "x{{message}}y", p: "{{provider}}", h: "{{json:hosts}}" });
  fc.assert(
    fc.property(
      fc.string({ unit: "binary" }),
      fc.string({ unit: "binary" }),
      fc.array(fc.string({ unit: "binary" }), { maxLength: 3 }),
      (message, provider, hosts) => {
        const parsed = JSON.parse(
          renderJson(body, eventFields(event({ message, provider, hosts }))),
        );
        assert.deepEqual(parsed, { m: `x${message}y`, p: provider, h: hosts });
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("json: {{json:NAME}} gives typed values and the whole event", () => {
  const e = event({ action: null });
  const parsed = JSON.parse(renderJson(
    jsonTemplate({
      hosts: "{{json:hosts}}",
      addresses: "{{json:addresses}}",
      reply: "{{json:reply}}",
      action: "{{json:action}}",
      event: "{{json:event}}",
      title: "{{json:title}}",
    }),
    eventFields(e),
  ));
  assert.deepEqual(parsed, {
    hosts: e.hosts,
    addresses: e.addresses,
    reply: "badauth",
    action: null,
    event: JSON.parse(JSON.stringify(e)),
    title: eventTitle(e),
  });
  assert.deepEqual(JSON.parse(renderJson(jsonTemplate("{{json:event}}"), eventFields(e))), e);
});

Deno.test("url: values are percent-encoded and stay one path segment or query value", () => {
  const url = template("https://example.com/t/{{provider}}?m={{message}}&k={{kind}}");
  for (const text of HOSTILE) {
    const rendered = new URL(
      renderUrl(url, eventFields(event({ provider: "p" + text, message: text }))),
    );
    assert.equal(rendered.host, "example.com");
    const segments = rendered.pathname.split("/");
    assert.equal(segments.length, 3);
    assert.equal(decodeURIComponent(segments[2]!), ("p" + text).toWellFormed());
    assert.deepEqual([...rendered.searchParams.keys()], ["m", "k"]);
    assert.equal(rendered.searchParams.get("m"), text.toWellFormed());
    assert.equal(rendered.hash, "");
  }
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (text) => {
      const rendered = new URL(
        renderUrl(url, eventFields(event({ provider: "p" + text, message: text }))),
      );
      assert.equal(rendered.pathname.split("/").length, 3);
      assert.equal(rendered.searchParams.get("m"), text.toWellFormed());
      assert.equal(rendered.searchParams.get("k"), "stopped");
    }),
    { numRuns: 300 },
  );
});

Deno.test("header: no CR or LF can get in; non-ASCII is an RFC 2047 encoded word", () => {
  const header = template("dnsbeat: {{message}}");
  const injected = renderHeader(header, eventFields(event({ message: "x\r\nX-Injected: 1\n\ny" })));
  assert.equal(injected, "dnsbeat: x X-Injected: 1 y");
  assert.equal(
    renderHeader(header, eventFields(event({ message: "a\u0000b\u001fc\td" }))),
    "dnsbeat: abc\td",
  );
  const unicode = renderHeader(header, eventFields(event({ message: "Müller 🎉\nnext" })));
  const match = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=$/.exec(unicode);
  assert.ok(match, unicode);
  const bytes = Uint8Array.from(atob(match[1]!), (c) => c.charCodeAt(0));
  assert.equal(new TextDecoder().decode(bytes), "dnsbeat: Müller 🎉 next");
  // Standard base64 with padding, as RFC 2047 asks: not the URL-safe alphabet.
  const padded = renderHeader(header, eventFields(event({ message: "ü?>" })));
  assert.equal(padded, "=?UTF-8?B?ZG5zYmVhdDogw7w/Pg==?=");
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (text) => {
      const value = renderHeader(header, eventFields(event({ message: text, provider: text })));
      assert.match(value, /^[\x20-\x7e\t]*$/);
      assert.doesNotThrow(() => new Headers({ "X-Test": value }));
    }),
    { numRuns: 300 },
  );
});

Deno.test("parse: unknown placeholders are named, with a suggestion", () => {
  const parsed = parseTemplate("{{titel}} {{foo}} {{title}} {{titel}}", EVENT_FIELDS);
  assert.equal(parsed.ok, false);
  if (parsed.ok) return;
  assert.equal(parsed.problems.length, 2);
  assert.match(
    parsed.problems[0]!,
    /unknown placeholder \{\{titel\}\} \(did you mean \{\{title\}\}\?\); known: \{\{kind\}\}/,
  );
  assert.match(parsed.problems[1]!, /unknown placeholder \{\{foo\}\}/);
});

Deno.test("parse: an unclosed {{ and a misplaced {{json:NAME}} are problems", () => {
  const unclosed = parseTemplate("abc {{message", EVENT_FIELDS);
  assert.ok(!unclosed.ok && /without a closing/.test(unclosed.problems[0]!));
  const json = parseTemplate("x {{json:hosts}}", EVENT_FIELDS);
  assert.ok(!json.ok && /belongs only in a JSON body/.test(json.problems[0]!));
  const inText = parseJsonTemplate({ a: [{ b: "hosts: {{json:hosts}}" }] }, EVENT_FIELDS);
  assert.ok(!inText.ok);
  assert.match(inText.problems[0]!, /^\.a\[0\]\.b: \{\{json:NAME\}\} must be the whole string/);
  const key = parseJsonTemplate({ "{{kind}}": "x" }, EVENT_FIELDS);
  assert.ok(!key.ok && /not allowed in keys/.test(key.problems[0]!));
  const unknown = parseJsonTemplate({ a: "{{nope}}" }, EVENT_FIELDS);
  assert.ok(!unknown.ok && unknown.problems[0]!.startsWith(".a: unknown placeholder {{nope}}"));
  const root = parseJsonTemplate("{{nope}}", EVENT_FIELDS);
  assert.ok(!root.ok && root.problems[0]!.startsWith(": unknown placeholder"));
});

Deno.test("parse: a placeholder-like secret is not echoed", () => {
  const parsed = parseTemplate(
    "https://x/{{Bearer abc/def+ghi=jkl-very-long-token-value-here}}",
    EVENT_FIELDS,
  );
  assert.ok(!parsed.ok);
  assert.ok(!parsed.problems.join().includes("abc/def"), parsed.problems.join());
});

Deno.test("events: the id depends on kind, provider, reply, hosts and time only", () => {
  const a = event();
  assert.match(a.id, /^stopped:[0-9a-f]{16}$/);
  assert.equal(a.id, eventId(a));
  assert.equal(event({ message: "other words", action: null, addresses: [] }).id, a.id);
  assert.equal(event({ hosts: ["b.ddns.net", "a.ddns.net"] }).id, a.id);
  const others = [
    event({ time: "2026-01-01T00:00:01.000Z" }),
    event({ reply: "nohost" }),
    event({ provider: "work" }),
    event({ hosts: ["a.ddns.net"] }),
    event({ providerType: "dynamip" }),
    event({ kind: "resumed" }),
  ];
  assert.equal(new Set([a.id, ...others.map((e) => e.id)]).size, others.length + 1);
});

Deno.test("events: the title is one line for every kind, the body has the details", () => {
  for (const kind of EVENT_KINDS) {
    const e = event({ kind, reply: "a\nvery long reply line ".repeat(10), provider: "home\r\n" });
    const title = eventTitle(e);
    assert.ok(!/[\r\n]/.test(title), title);
    assert.ok(title.startsWith("home: "), title);
    assert.ok(title.length < 120, title);
  }
  assert.equal(eventTitle(event({ kind: "updated" })), "home: address updated to 203.0.113.7");
  assert.equal(eventTitle(event()), "home: updates stopped, dnsbeat needs you (badauth)");
  assert.equal(eventTitle(event({ kind: "test", provider: "" })), "test notification");
  assert.equal(
    eventBody(event()),
    [
      "No-IP says badauth: the username or password is wrong.",
      "Fix the password, then run `dnsbeat resume home`.",
      "",
      "Provider: home (noip)",
      "Hosts: a.ddns.net, b.ddns.net",
      "Addresses: 203.0.113.7",
      "Reply: badauth",
      "Time: 2026-01-01T00:00:00.000Z",
    ].join("\n"),
  );
});
