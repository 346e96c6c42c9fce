import assert from "node:assert/strict";
import fc from "fast-check";
import { HOUR } from "../lib/config/duration.ts";
import { parseNotifyConfig, type Sink } from "../lib/notify/config.ts";
import { Validator } from "../lib/config/validate.ts";
import { deliver, type DeliverDeps, FAIL_KINDS, pingOf } from "../lib/notify/deliver.ts";
import {
  type AttemptReport,
  describeAttempt,
  Dispatcher,
  type NotifyClock,
  type RetryPolicy,
} from "../lib/notify/dispatcher.ts";
import {
  createEvent,
  EVENT_KINDS,
  eventBody,
  type EventKind,
  eventTitle,
  type NotifyEvent,
} from "../lib/notify/events.ts";
import { EXAMPLE_SINKS } from "./helpers/example_sinks.ts";
import { commandRunner } from "../lib/notify/run.ts";
import { fetchSend, MAX_REPLY_BYTES } from "../lib/notify/send.ts";
import { type Receiver, startReceiver } from "./helpers/receiver.ts";
import { tempDir } from "./helpers/temp_dir.ts";

const DEPS: DeliverDeps = { send: fetchSend(), run: commandRunner({ graceMs: 200 }) };

const HOSTILE = [
  'quote " and \\ backslash',
  "new\nline\r\nX-Injected: yes",
  "{{title}} {{json:event}} {{",
  "unicode: äöü — 日本語 🎉",
  "lone surrogate \ud800 here",
  "control \u0000\u0001\u007f",
  "a&b=c/d?e#f g+h%20",
];

/** Virtual time: it moves only when the test calls {@link ManualClock.advance}. */
class ManualClock implements NotifyClock {
  #now = Date.UTC(2026, 0, 1);
  #sleepers: { at: number; wake: () => void }[] = [];

  now(): number {
    return this.#now;
  }

  mono(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper = {
        at: this.#now + ms,
        wake: () => {
          this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
          signal?.removeEventListener("abort", sleeper.wake);
          resolve();
        },
      };
      signal?.addEventListener("abort", sleeper.wake, { once: true });
      this.#sleepers.push(sleeper);
    });
  }

  /** Moves time forward and wakes every sleeper that is due. */
  advance(ms: number): void {
    this.#now += ms;
    for (const sleeper of this.#sleepers.filter((s) => s.at <= this.#now)) sleeper.wake();
  }

  /** How long until each sleeper wakes. */
  get wakeUps(): number[] {
    return this.#sleepers.map((s) => s.at - this.#now);
  }
}

/** Collects attempt reports; `next()` gives them one by one as they come. */
class Reports {
  list: AttemptReport[] = [];
  #seen = 0;
  #wake: (() => void) | null = null;

  push = (report: AttemptReport): void => {
    this.list.push(report);
    this.#wake?.();
  };

  async next(): Promise<AttemptReport> {
    const deadline = Date.now() + 10_000;
    while (this.list.length <= this.#seen) {
      if (Date.now() > deadline) throw new Error("no report within 10s");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#wake = null;
          resolve();
        }, 100);
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = null;
          resolve();
        };
      });
    }
    return this.list[this.#seen++]!;
  }
}

function sinksOf(...entries: unknown[]): Sink[] {
  const v = new Validator({ readSecretFile: () => ({ error: "none" }), env: () => undefined }, "");
  const config = parseNotifyConfig(v, { notify: entries });
  if (v.errors.length > 0) throw new Error(v.errors.join("\n"));
  return [...config.sinks];
}

function sinkOf(entry: unknown): Sink {
  return sinksOf(entry)[0]!;
}

function event(kind: EventKind = "stopped", overrides: Partial<NotifyEvent> = {}): NotifyEvent {
  return createEvent({
    kind,
    provider: "home",
    providerType: "noip",
    hosts: ["a.ddns.net", "b.ddns.net"],
    addresses: ["203.0.113.7", "2001:db8::7"],
    reply: kind === "updated" ? "good" : "badauth",
    message: `Something of kind ${kind} happened.`,
    action: kind === "updated" ? null : "Do the thing, then run `dnsbeat resume home`.",
    time: "2026-01-01T00:00:00.000Z",
    ...overrides,
  });
}

function dispatcher(
  sinks: Sink[],
  reports: Reports,
  clock: NotifyClock,
  signal?: AbortSignal,
  retry?: Partial<RetryPolicy>,
): Dispatcher {
  return new Dispatcher({ sinks, clock, onAttempt: reports.push, signal, retry, ...DEPS });
}

async function withReceivers(
  count: number,
  body: (receivers: Receiver[]) => Promise<void>,
): Promise<void> {
  const receivers = Array.from({ length: count }, () => startReceiver());
  try {
    await body(receivers);
  } finally {
    await Promise.all(receivers.map((r) => r.close()));
  }
}

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  await using tmp = await tempDir("notify");
  const dir = tmp.path;
  await body(dir);
}

async function script(dir: string, name: string, text: string): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, `#!/bin/sh\n${text}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

// --- Every event to every sink kind -------------------------------------------------------

Deno.test("webhook: every event kind arrives as the JSON the template describes", async () => {
  await withReceivers(1, async ([receiver]) => {
    const sink = sinkOf({
      ...EXAMPLE_SINKS.json,
      url: `${receiver!.url}/dnsbeat/events`,
    });
    for (const kind of EVENT_KINDS) {
      const e = event(kind);
      assert.deepEqual(await deliver(sink, e, DEPS), { kind: "delivered", detail: "HTTP 200" });
      const request = receiver!.requests.at(-1)!;
      assert.equal(request.method, "POST");
      assert.equal(request.path, "/dnsbeat/events");
      assert.equal(request.headers["content-type"], "application/json");
      assert.equal(request.headers["authorization"], "Bearer CHANGE-THIS-TOKEN");
      assert.deepEqual(JSON.parse(request.body), {
        id: e.id,
        kind,
        provider: "home",
        providerType: "noip",
        hosts: e.hosts,
        addresses: e.addresses,
        reply: e.reply,
        message: e.message,
        action: e.action,
        time: e.time,
      });
    }
    assert.equal(receiver!.requests.length, EVENT_KINDS.length);
  });
});

Deno.test("healthcheck: every event kind pings the ok or the fail URL", async () => {
  await withReceivers(1, async ([receiver]) => {
    const sink = sinkOf({ type: "healthcheck", url: `${receiver!.url}/ping/uuid-1` });
    for (const kind of EVENT_KINDS) {
      assert.equal((await deliver(sink, event(kind), DEPS)).kind, "delivered");
      const request = receiver!.requests.at(-1)!;
      assert.equal(request.method, "GET");
      assert.equal(request.path, FAIL_KINDS.has(kind) ? "/ping/uuid-1/fail" : "/ping/uuid-1");
      assert.equal(request.body, "");
    }
    assert.deepEqual([...FAIL_KINDS].sort(), ["failing", "stopped"]);
  });
});

const ENV_NAMES = [
  "DNSBEAT_EVENT",
  "DNSBEAT_EVENT_ID",
  "DNSBEAT_PROVIDER",
  "DNSBEAT_PROVIDER_TYPE",
  "DNSBEAT_HOSTS",
  "DNSBEAT_ADDRESSES",
  "DNSBEAT_MESSAGE",
  "DNSBEAT_ACTION",
  "DNSBEAT_REPLY",
  "DNSBEAT_TIME",
  "DNSBEAT_TITLE",
  "DNSBEAT_EVENT_JSON",
  "DNSBEAT_TEST_LEAK",
  "HOME",
  "PATH",
];

async function envScript(dir: string): Promise<string> {
  return await script(
    dir,
    "dump-env",
    [
      `out='${dir}/out'`,
      `for name in ${ENV_NAMES.join(" ")}; do`,
      '  eval "value=\\${$name-unset}"',
      '  printf "%s" "$value" > "$out/$name"',
      "done",
      'cat > "$out/stdin"',
      'pwd > "$out/cwd"',
    ].join("\n"),
  );
}

async function readOut(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of [...ENV_NAMES, "stdin", "cwd"]) {
    out[name] = await Deno.readTextFile(`${dir}/out/${name}`);
  }
  return out;
}

Deno.test("exec: every event kind arrives in DNSBEAT_* variables, and nothing else but PATH", async () => {
  Deno.env.set("DNSBEAT_TEST_LEAK", "must not reach the script");
  try {
    await withTempDir(async (dir) => {
      await Deno.mkdir(`${dir}/out`);
      const sink = sinkOf({ type: "exec", command: [await envScript(dir)] });
      for (const kind of EVENT_KINDS) {
        const e = event(kind, kind === "test" ? { provider: "", hosts: [], addresses: [] } : {});
        const result = await deliver(sink, e, DEPS);
        assert.deepEqual(result, { kind: "delivered", detail: "the command exited with status 0" });
        const out = await readOut(dir);
        assert.equal(out.DNSBEAT_EVENT, kind);
        assert.equal(out.DNSBEAT_EVENT_ID, e.id);
        assert.equal(out.DNSBEAT_PROVIDER, e.provider);
        assert.equal(out.DNSBEAT_PROVIDER_TYPE, "noip");
        assert.equal(out.DNSBEAT_HOSTS, e.hosts.join(" "));
        assert.equal(out.DNSBEAT_ADDRESSES, e.addresses.join(" "));
        assert.equal(out.DNSBEAT_MESSAGE, e.message);
        assert.equal(out.DNSBEAT_ACTION, e.action ?? "");
        assert.equal(out.DNSBEAT_REPLY, e.reply ?? "");
        assert.equal(out.DNSBEAT_TIME, e.time);
        assert.equal(out.DNSBEAT_TITLE, eventTitle(e));
        assert.deepEqual(JSON.parse(out.DNSBEAT_EVENT_JSON!), e);
        assert.equal(out.DNSBEAT_TEST_LEAK, "unset");
        assert.equal(out.HOME, "unset");
        assert.notEqual(out.PATH, "unset");
        assert.equal(out.stdin, "");
        assert.equal(out.cwd, "/\n");
      }
    });
  } finally {
    Deno.env.delete("DNSBEAT_TEST_LEAK");
  }
});

// --- Hostile content ----------------------------------------------------------------------

Deno.test("webhook: hostile strings give valid JSON, one-line headers and encoded URLs", async () => {
  await withReceivers(1, async ([receiver]) => {
    const sink = sinkOf({
      type: "webhook",
      url: `${receiver!.url}/h/{{provider}}?m={{message}}&k={{kind}}`,
      headers: { "X-Message": "{{message}}", "X-Title": "dnsbeat: {{title}}" },
      body: { m: "<{{message}}>", e: "{{json:event}}", hosts: "{{json:hosts}}" },
    });
    for (const text of HOSTILE) {
      const e = event("stopped", { message: text, provider: "p" + text, hosts: [text] });
      assert.equal((await deliver(sink, e, DEPS)).kind, "delivered");
      const request = receiver!.requests.at(-1)!;
      const body = JSON.parse(request.body);
      assert.equal(body.m, `<${text}>`);
      assert.deepEqual(body.e, e);
      assert.deepEqual(body.hosts, [text]);
      for (const name of ["x-message", "x-title"]) {
        assert.ok(!/[\r\n]/.test(request.headers[name]!), request.headers[name]);
      }
      assert.equal(request.headers["x-injected"], undefined);
      const url = new URL(request.path, receiver!.url);
      const segments = url.pathname.split("/");
      assert.equal(segments.length, 3, url.pathname);
      assert.equal(decodeURIComponent(segments[2]!), ("p" + text).toWellFormed());
      assert.equal(url.searchParams.get("m"), text.toWellFormed());
      assert.equal(url.searchParams.get("k"), "stopped");
    }
  });
});

// --- The shipped examples -----------------------------------------------------------------

/** `example` with its URLs sent to `receiver`. */
function aimed(example: Readonly<Record<string, unknown>>, receiver: Receiver): unknown {
  const aim = (url: unknown) =>
    typeof url === "string" ? url.replace(/^https?:\/\/[^/]+/, receiver.url) : url;
  return example.failUrl === undefined
    ? { ...example, url: aim(example.url) }
    : { ...example, url: aim(example.url), failUrl: aim(example.failUrl) };
}

Deno.test("examples: ntfy, Discord, generic JSON and the others send what the service expects", async () => {
  await withReceivers(1, async ([receiver]) => {
    const e = event("stopped");
    const title = eventTitle(e), body = eventBody(e);
    const sent = async (name: string) => {
      const sink = sinkOf(aimed(EXAMPLE_SINKS[name]!, receiver!));
      assert.deepEqual(await deliver(sink, e, DEPS), { kind: "delivered", detail: "HTTP 200" });
      return receiver!.requests.at(-1)!;
    };
    const ntfy = await sent("ntfy");
    assert.equal(ntfy.path, "/dnsbeat-CHANGE-THIS-TOPIC");
    assert.equal(ntfy.headers["title"], `dnsbeat: ${title}`);
    assert.equal(ntfy.headers["tags"], "stopped");
    assert.equal(ntfy.headers["content-type"], "text/plain; charset=utf-8");
    assert.equal(ntfy.body, body);

    const discord = await sent("discord");
    assert.equal(discord.path, "/api/webhooks/WEBHOOK_ID/WEBHOOK_TOKEN");
    assert.deepEqual(JSON.parse(discord.body), {
      username: "dnsbeat",
      content: `**${title}**\n${body}`,
      allowed_mentions: { parse: [] },
    });

    const json = await sent("json");
    assert.equal(JSON.parse(json.body).id, e.id);

    assert.deepEqual(JSON.parse((await sent("slack")).body), { text: `*${title}*\n${body}` });
    const telegram = await sent("telegram");
    assert.equal(telegram.path, "/bot123456789:CHANGE-THIS-TOKEN/sendMessage");
    assert.deepEqual(JSON.parse(telegram.body), {
      chat_id: 123456789,
      text: `${title}\n\n${body}`,
    });
    const gotify = await sent("gotify");
    assert.equal(gotify.path, "/message?token=CHANGE-THIS-TOKEN");
    assert.deepEqual(JSON.parse(gotify.body), {
      title: `dnsbeat: ${title}`,
      message: body,
      priority: 5,
    });
    assert.deepEqual(JSON.parse((await sent("pushover")).body), {
      token: "CHANGE-THIS-APP-TOKEN",
      user: "CHANGE-THIS-USER-KEY",
      title: `dnsbeat: ${title}`,
      message: body,
    });

    const healthchecks = await sent("healthchecks");
    assert.equal(healthchecks.method, "POST");
    assert.equal(healthchecks.path, "/CHANGE-THIS-UUID/fail");
    assert.equal(healthchecks.body, pingOf(e).message);
    const kuma = await sent("uptime-kuma");
    const kumaUrl = new URL(kuma.path, receiver!.url);
    assert.equal(kumaUrl.pathname, "/api/push/CHANGE-THIS-TOKEN");
    assert.equal(kumaUrl.searchParams.get("status"), "down");
    assert.equal(kumaUrl.searchParams.get("msg"), pingOf(e).message);
  });
});

Deno.test("examples: a non-ASCII ntfy title is sent as an RFC 2047 encoded word", async () => {
  await withReceivers(1, async ([receiver]) => {
    const sink = sinkOf(aimed(EXAMPLE_SINKS.ntfy!, receiver!));
    const e = event("stopped", { provider: "Müller's 🏠" });
    assert.equal((await deliver(sink, e, DEPS)).kind, "delivered");
    const header = receiver!.requests[0]!.headers["title"]!;
    const match = /^=\?UTF-8\?B\?(.+)\?=$/.exec(header);
    assert.ok(match, header);
    const bytes = Uint8Array.from(atob(match[1]!), (c) => c.charCodeAt(0));
    assert.equal(new TextDecoder().decode(bytes), `dnsbeat: ${eventTitle(e)}`);
  });
});

Deno.test("examples: the exec example names the field when its program is missing", async () => {
  const sink = sinkOf({ ...EXAMPLE_SINKS.firewall, command: ["/nonexistent/dnsbeat-hook"] });
  assert.deepEqual(await deliver(sink, event("updated"), DEPS), {
    kind: "failed",
    reason: "the program was not found; check notify[0].command",
    retryable: false,
  });
});

// --- Healthcheck pings --------------------------------------------------------------------

Deno.test("healthcheck: round pings go to the ok and fail URLs, once, to healthcheck sinks only", async () => {
  await withReceivers(2, async ([hc, other]) => {
    const reports = new Reports();
    const queue = dispatcher(
      sinksOf(
        { type: "healthcheck", name: "hc", url: `${hc!.url}/uuid?create=1`, method: "POST" },
        {
          type: "healthcheck",
          name: "kuma",
          url: `${hc!.url}/api/push/k?status=up&msg=OK`,
          failUrl: `${hc!.url}/api/push/k?status=down&msg={{message}}&t={{time}}`,
        },
        { type: "webhook", name: "web", url: other!.url },
      ),
      reports,
      new ManualClock(),
    );
    assert.deepEqual(queue.ping("ok", "all 2 providers up to date"), ["hc", "kuma"]);
    await queue.idle();
    assert.deepEqual(
      hc!.requests.map((r) => [r.method, r.path, r.body]).sort(),
      [
        ["GET", "/api/push/k?status=up&msg=OK", ""],
        ["POST", "/uuid?create=1", "all 2 providers up to date"],
      ],
    );
    assert.deepEqual(queue.ping("fail", "home: stopped & waiting"), ["hc", "kuma"]);
    await queue.idle();
    const fails = hc!.requests.slice(2).map((r) => new URL(r.path, hc!.url));
    const kuma = fails.find((u) => u.pathname.startsWith("/api"))!;
    assert.equal(kuma.searchParams.get("status"), "down");
    assert.equal(kuma.searchParams.get("msg"), "home: stopped & waiting");
    assert.equal(kuma.searchParams.get("t"), "2026-01-01T00:00:00.000Z");
    assert.ok(fails.some((u) => u.pathname === "/uuid/fail" && u.search === "?create=1"));
    assert.equal(other!.requests.length, 0);

    hc!.answer({ kind: "status", status: 500 });
    queue.ping("ok", "");
    await queue.idle();
    assert.equal(hc!.requests.length, 6);
    const failed = reports.list.slice(-2);
    assert.ok(failed.every((r) => r.result.kind === "failed" && r.retryInMs === null), "no retry");
  });
});

// --- Exec: output, exit status, timeout -----------------------------------------------------

Deno.test("exec: a non-zero exit is not retried; output is cut to 200 characters", async () => {
  await withTempDir(async (dir) => {
    const path = await script(
      dir,
      "fail",
      "i=0; while [ $i -lt 50 ]; do printf 'abcdefghij' >&2; i=$((i+1)); done; echo out; exit 3",
    );
    const result = await deliver(sinkOf({ type: "exec", command: [path] }), event(), DEPS);
    assert.equal(result.kind, "failed");
    if (result.kind !== "failed") return;
    assert.equal(result.retryable, false);
    assert.match(
      result.reason,
      /^the command exited with status 3; stderr: "(abcdefghij){20}"; stdout: "out"; fix the program in notify\[0\]\.command so that it exits 0$/,
    );
  });
});

Deno.test("exec: a program writing far more than is kept can write it all", async () => {
  await withTempDir(async (dir) => {
    // Writing to a closed pipe would fail (SIGPIPE, status 141) and the script would exit 9.
    const path = await script(dir, "chatty", "head -c 1048576 /dev/zero | tr '\\0' x || exit 9");
    const sink = sinkOf({ type: "exec", command: [path], timeout: "5s" });
    assert.deepEqual(await deliver(sink, event(), DEPS), {
      kind: "delivered",
      detail: `the command exited with status 0; stdout: "${"x".repeat(200)}"`,
    });
  });
});

Deno.test("exec: a timeout kills the program and everything it started, within the grace", async () => {
  await withTempDir(async (dir) => {
    const slow = await script(dir, "slow", "sleep 30");
    const sink = sinkOf({ type: "exec", command: [slow], timeout: "300ms" });
    let started = performance.now();
    const result = await deliver(sink, event(), DEPS);
    const elapsed = performance.now() - started;
    assert.deepEqual(result, {
      kind: "failed",
      reason:
        "the command timed out after 300ms and was killed; raise notify[0].timeout or make the program finish sooner",
      retryable: true,
    });
    assert.ok(elapsed < 3000, `took ${elapsed}ms`);

    const stubborn = await script(
      dir,
      "stubborn",
      `trap '' TERM; sleep 30 & echo $! > '${dir}/child'; echo started; wait; wait`,
    );
    started = performance.now();
    const killed = await deliver(
      sinkOf({ type: "exec", command: [stubborn], timeout: "300ms" }),
      event(),
      DEPS,
    );
    const elapsedKill = performance.now() - started;
    assert.equal(killed.kind, "failed");
    assert.match(
      killed.kind === "failed" ? killed.reason : "",
      /timed out after 300ms.*stdout: "started"/,
    );
    assert.ok(elapsedKill < 3000, `took ${elapsedKill}ms`);
    const child = (await Deno.readTextFile(`${dir}/child`)).trim();
    const stat = await Deno.readTextFile(`/proc/${child}/stat`).catch(() => null);
    assert.ok(stat === null || / Z /.test(stat), `the background child still runs: ${stat}`);
  });
});

// --- The queue: retries, back-off, giving up, never blocking -----------------------------

Deno.test("queue: a 500 is retried after 10 s, then 20 s, on the injected clock", async () => {
  await withReceivers(1, async ([receiver]) => {
    receiver!.answer({ kind: "status", status: 500, body: "oops" });
    const clock = new ManualClock();
    const reports = new Reports();
    const queue = dispatcher(
      sinksOf({ type: "webhook", name: "web", url: receiver!.url }),
      reports,
      clock,
    );
    const e = event();
    assert.deepEqual(queue.enqueue(e), ["web"]);

    const first = await reports.next();
    assert.equal(first.attempt, 1);
    assert.deepEqual(first.result, {
      kind: "failed",
      reason: 'the server answered HTTP 500; it said: "oops"',
      retryable: true,
    });
    assert.equal(first.retryInMs, 10_000);
    assert.deepEqual(clock.wakeUps, [10_000]);
    assert.equal(
      describeAttempt(first),
      'notify "web": could not deliver the stopped event: the server answered HTTP 500; it said: "oops"; trying again in 10s (attempt 1)',
    );

    clock.advance(9_999);
    assert.deepEqual(clock.wakeUps, [1]);
    assert.equal(receiver!.requests.length, 1);
    clock.advance(1);
    const second = await reports.next();
    assert.equal(second.attempt, 2);
    assert.equal(second.retryInMs, 20_000);
    assert.equal(receiver!.requests.length, 2);

    receiver!.answer({ kind: "status", status: 204 });
    clock.advance(20_000);
    const third = await reports.next();
    assert.deepEqual(third.result, { kind: "delivered", detail: "HTTP 204" });
    assert.equal(third.attempt, 3);
    assert.equal(third.retryInMs, null);
    assert.equal(
      describeAttempt(third),
      'notify "web": the stopped event was delivered (HTTP 204)',
    );
    await queue.idle();
    assert.equal(queue.pending, 0);
    assert.equal(receiver!.requests.length, 3);
  });
});

Deno.test("queue: a 404 is not retried and names the field to fix", async () => {
  await withReceivers(1, async ([receiver]) => {
    receiver!.answer({ kind: "status", status: 404 });
    const clock = new ManualClock();
    const reports = new Reports();
    const queue = dispatcher(
      sinksOf({ type: "webhook", url: `${receiver!.url}/x` }),
      reports,
      clock,
    );
    queue.enqueue(event());
    const report = await reports.next();
    assert.deepEqual(report.result, {
      kind: "failed",
      reason: "the server does not know this address (HTTP 404); check notify[0].url",
      retryable: false,
    });
    assert.equal(report.retryInMs, null);
    assert.equal(report.gaveUp, false);
    await queue.idle();
    assert.deepEqual(clock.wakeUps, []);
    assert.equal(receiver!.requests.length, 1);
  });
});

Deno.test("queue: what is retryable and what is not", async () => {
  await withReceivers(1, async ([receiver]) => {
    const sink = sinkOf({ type: "webhook", url: receiver!.url });
    const cases: [number, boolean, RegExp][] = [
      [429, true, /HTTP 429 \(too many requests\)/],
      [408, true, /HTTP 408/],
      [503, true, /HTTP 503/],
      [
        401,
        false,
        /refused the credentials \(HTTP 401\); check the token in notify\[0\]\.url and notify\[0\]\.headers$/,
      ],
      [403, false, /HTTP 403/],
      [405, false, /does not accept the method POST \(HTTP 405\); check notify\[0\]\.method$/],
      [
        400,
        false,
        /rejected the request \(HTTP 400\); check notify\[0\]\.body and notify\[0\]\.headers$/,
      ],
      [
        302,
        false,
        /HTTP 302, a redirect, which dnsbeat does not follow; set notify\[0\]\.url to the address/,
      ],
    ];
    for (const [status, retryable, pattern] of cases) {
      receiver!.answer({
        kind: "status",
        status,
        headers: status === 302 ? { location: "http://127.0.0.1:1/elsewhere" } : {},
      });
      const result = await deliver(sink, event(), DEPS);
      assert.equal(result.kind, "failed");
      if (result.kind !== "failed") continue;
      assert.equal(result.retryable, retryable, `${status}`);
      assert.match(result.reason, pattern);
    }
    assert.equal(receiver!.requests.length, cases.length, "the redirect was not followed");
  });
});

Deno.test("queue: retries for the full hour, the last attempt exactly 1 h after the first, then gives up", async () => {
  await withReceivers(1, async ([receiver]) => {
    receiver!.answer({ kind: "status", status: 502 });
    const clock = new ManualClock();
    const reports = new Reports();
    const queue = dispatcher(sinksOf({ type: "webhook", url: receiver!.url }), reports, clock);
    queue.enqueue(event());
    const waits: number[] = [];
    let report = await reports.next();
    while (report.retryInMs !== null) {
      waits.push(report.retryInMs);
      clock.advance(report.retryInMs);
      report = await reports.next();
    }
    assert.deepEqual(
      waits,
      [10, 20, 40, 80, 160, 320, 640, 900, 900, 530].map((s) => s * 1000),
    );
    assert.equal(waits.reduce((a, b) => a + b), HOUR, "the last attempt at 60 min, not 51");
    assert.equal(report.attempt, 11);
    assert.equal(report.gaveUp, true);
    assert.match(describeAttempt(report), /; gave up after 11 attempts$/);
    await queue.idle();
    assert.equal(receiver!.requests.length, 11);
  });
});

Deno.test("queue: a hanging sink blocks neither enqueue nor the other sinks", async () => {
  await withReceivers(2, async ([hanging, fine]) => {
    hanging!.answer({ kind: "hang" });
    const controller = new AbortController();
    const reports = new Reports();
    const queue = dispatcher(
      sinksOf(
        { type: "webhook", name: "hanging", url: hanging!.url },
        { type: "webhook", name: "fine", url: fine!.url },
      ),
      reports,
      new ManualClock(),
      controller.signal,
    );
    const started = performance.now();
    const queued = queue.enqueue(event());
    const elapsed = performance.now() - started;
    assert.ok(Array.isArray(queued), "enqueue returns synchronously");
    assert.deepEqual(queued, ["hanging", "fine"]);
    assert.ok(elapsed < 50, `enqueue took ${elapsed}ms`);
    assert.equal(queue.pending, 2);

    const report = await reports.next();
    assert.equal(report.sink, "fine");
    assert.equal(report.result.kind, "delivered");
    await hanging!.received(1);
    assert.equal(reports.list.length, 1, "the hanging delivery has not ended");
    assert.equal(queue.pending, 1);

    assert.deepEqual(queue.enqueue(event()), ["fine"], "the same event is not queued twice");
    await reports.next();
    controller.abort();
    await queue.idle();
    const last = reports.list.at(-1)!;
    assert.equal(last.sink, "hanging");
    assert.deepEqual(last.result, { kind: "aborted" });
    assert.equal(
      describeAttempt(last),
      'notify "hanging": the stopped event was not delivered: dnsbeat is stopping',
    );
  });
});

Deno.test("queue: abort stops retries, in-flight attempts and later enqueues", async () => {
  await withReceivers(2, async ([failing, slow]) => {
    failing!.answer({ kind: "status", status: 500 });
    slow!.answer({ kind: "slow", delayMs: 5000 });
    const clock = new ManualClock();
    const controller = new AbortController();
    const reports = new Reports();
    const queue = dispatcher(
      sinksOf(
        { type: "webhook", name: "failing", url: failing!.url },
        { type: "webhook", name: "slow", url: slow!.url },
      ),
      reports,
      clock,
      controller.signal,
    );
    queue.enqueue(event());
    assert.equal((await reports.next()).retryInMs, 10_000);
    await slow!.received(1);
    const started = performance.now();
    controller.abort();
    await queue.idle();
    assert.ok(performance.now() - started < 1000, "stopping is prompt");
    assert.deepEqual(reports.list.map((r) => [r.sink, r.result.kind]), [
      ["failing", "failed"],
      ["slow", "aborted"],
    ]);
    assert.deepEqual(clock.wakeUps, []);
    clock.advance(3_600_000);
    assert.deepEqual(queue.enqueue(event("resumed")), []);
    assert.deepEqual(queue.ping("ok", ""), []);
    await queue.idle();
    assert.equal(failing!.requests.length, 1);
    assert.equal(reports.list.length, 2);
  });
});

Deno.test("queue: skip, events filter, test to every sink, pending cap, throwing callback", async () => {
  await withReceivers(2, async ([hanging, fine]) => {
    hanging!.answer({ kind: "hang" });
    const controller = new AbortController();
    const reports = new Reports();
    let calls = 0;
    const queue = new Dispatcher({
      ...DEPS,
      sinks: sinksOf(
        { type: "webhook", name: "hanging", url: hanging!.url, events: ["stopped", "failing"] },
        { type: "webhook", name: "fine", url: fine!.url, events: ["updated"] },
      ),
      clock: new ManualClock(),
      signal: controller.signal,
      retry: { maxPendingPerSink: 2 },
      onAttempt: (report) => {
        calls++;
        reports.push(report);
        throw new Error("the callback's own bug");
      },
    });
    assert.deepEqual(queue.enqueue(event("stopped"), ["hanging"]), []);
    assert.deepEqual(queue.enqueue(event("updated")), ["fine"]);
    assert.deepEqual(queue.enqueue(event("test")), ["hanging", "fine"]);
    assert.deepEqual(queue.enqueue(event("failing")), ["hanging"]);
    assert.deepEqual(queue.enqueue(event("stopped")), [], "the third pending one is dropped");
    const dropped = reports.list.length > 0 ? reports.list[0]! : await reports.next();
    assert.equal(dropped.attempt, 0);
    assert.match(
      describeAttempt(dropped),
      /^notify "hanging": could not deliver the stopped event: 2 notifications for this sink are still undelivered, so this one was dropped; check notify\[0\]$/,
    );
    while (reports.list.filter((r) => r.sink === "fine").length < 2) await reports.next();
    assert.equal(fine!.requests.length, 2, "updated and test");
    controller.abort();
    await queue.idle();
    assert.equal(calls, reports.list.length);
  });
});

// --- Secrets ------------------------------------------------------------------------------

const TOKEN = fc.stringMatching(/^[A-Za-z0-9_-]{24,40}$/);

Deno.test("secrets: no URL token or header value appears in a reason, even when echoed back", async () => {
  await withReceivers(1, async ([receiver]) => {
    await fc.assert(
      fc.asyncProperty(
        TOKEN,
        TOKEN,
        TOKEN,
        fc.constantFrom(400, 401, 404, 500),
        async (t, u, v, status) => {
          receiver!.answer({ kind: "echo", status });
          const sink = sinkOf({
            type: "webhook",
            url: `${receiver!.url}/bot${t}/send?token=${u}&m={{message}}`,
            headers: { Authorization: `Bearer ${v}`, "X-Plain": `title ${v}` },
            body: { token: v, text: "{{message}}" },
          });
          const result = await deliver(sink, event(), DEPS);
          assert.equal(result.kind, "failed");
          const reason = result.kind === "failed" ? result.reason : "";
          assert.match(reason, /it said: /);
          for (const secret of [t, u, v]) {
            assert.ok(!reason.includes(secret), reason);
            assert.ok(!reason.includes(secret.slice(0, 16)), reason);
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});

Deno.test("secrets: network failures are fixed phrases without the URL", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const token = "s3cr3t-T0KEN-in-the-path";
  const refused = await deliver(
    sinkOf({ type: "webhook", url: `http://127.0.0.1:${port}/${token}?auth=${token}` }),
    event(),
    DEPS,
  );
  assert.deepEqual(refused, {
    kind: "failed",
    reason: "connection refused; check the network and the server in notify[0].url",
    retryable: true,
  });
  const throwing = fetchSend(() => {
    throw new TypeError(
      `error sending request for url (http://x/${token}): weird failure ${token}`,
    );
  });
  const result = await throwing({
    url: `http://x/${token}`,
    method: "POST",
    headers: {},
    body: null,
    timeoutMs: 1000,
  });
  assert.deepEqual(result, { kind: "failed", reason: "the request failed" });
});

// --- Sending ------------------------------------------------------------------------------

Deno.test("send: the reply is capped at 4 KiB; a slow server hits the deadline", async () => {
  await withReceivers(1, async ([receiver]) => {
    receiver!.answer({ kind: "status", status: 200, body: "é".repeat(10_000) });
    const send = fetchSend();
    const request = { url: receiver!.url, method: "GET", headers: {}, body: null, timeoutMs: 5000 };
    const reply = await send(request);
    assert.equal(reply.kind, "reply");
    assert.equal(reply.kind === "reply" && reply.body, "é".repeat(MAX_REPLY_BYTES / 2));

    receiver!.answer({ kind: "slow", delayMs: 3000 });
    const started = performance.now();
    assert.deepEqual(await send({ ...request, timeoutMs: 200 }), {
      kind: "failed",
      reason: "no complete reply within 200ms",
    });
    assert.ok(performance.now() - started < 2000);

    const controller = new AbortController();
    const pending = send({ ...request, signal: controller.signal });
    await receiver!.received(3);
    controller.abort();
    assert.deepEqual(await pending, { kind: "aborted" });
  });
});
