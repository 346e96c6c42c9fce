/**
 * Black-box: notifications, with `main.ts` run as a child process under the shipped permissions,
 * the emulator and a receiver on 127.0.0.1, and a hook script in a temporary directory. Time is
 * injected with DNSBEAT_NOW. What no process can show (that a hanging sink delays no round and no
 * beat) is measured in process with the injected clock, in `notifier_test.ts`.
 */
import assert from "node:assert/strict";
import { MINUTE } from "../lib/config/duration.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import { parseState } from "../lib/state/mod.ts";
import { startReceiver } from "./helpers/receiver.ts";
import { sandbox } from "./helpers/sandbox.ts";
import { assertNoSecret } from "./helpers/secret.ts";

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const TOKEN = "hook-Token-7f3a9c";

/** A sandbox, a receiver, a hook script, and a config with one sink of each kind. */
async function setup(sinks: { hookTimeout?: string; hookSleeps?: number } = {}) {
  const s = await sandbox({ noipPassword: "notify-NoIP-pw" });
  const receiver = startReceiver();
  const hookLog = `${s.dir}/hook.log`;
  const hook = `${s.dir}/hook.sh`;
  await Deno.writeTextFile(
    hook,
    `#!/bin/sh\n${
      sinks.hookSleeps ? `sleep ${sinks.hookSleeps}\n` : ""
    }echo "$DNSBEAT_EVENT $DNSBEAT_PROVIDER $DNSBEAT_ADDRESSES" >> ${hookLog}\n`,
    { mode: 0o755 },
  );
  const notify = [
    {
      type: "webhook",
      name: "phone",
      url: `${receiver.url}/hook/${TOKEN}`,
      headers: { "Authorization": `Bearer ${TOKEN}` },
      body: {
        kind: "{{kind}}",
        hosts: "{{json:hosts}}",
        addresses: "{{json:addresses}}",
        reply: "{{json:reply}}",
        message: "{{message}}",
      },
      timeout: "2s",
    },
    { type: "healthcheck", name: "hc", url: `${receiver.url}/ping/${TOKEN}`, timeout: "2s" },
    {
      type: "exec",
      name: "hook",
      command: [hook],
      events: ["updated", "stopped"],
      timeout: sinks.hookTimeout ?? "5s",
    },
  ];
  const write = () => s.writeConfig([s.noip()], { notify });
  await write();
  const hookLines = async () => {
    try {
      return (await Deno.readTextFile(hookLog)).trim().split("\n").filter((l) => l !== "");
    } catch {
      return [];
    }
  };
  const webhooks = () =>
    receiver.requests.filter((r) => r.path.startsWith("/hook/")).map((r) => JSON.parse(r.body));
  const pings = () =>
    receiver.requests.filter((r) => r.path.startsWith("/ping/")).map((r) => r.path.split(TOKEN)[1]);
  const close = async () => {
    await receiver.close();
    await s.close();
  };
  return { s, receiver, hookLines, webhooks, pings, close, write, [Symbol.asyncDispose]: close };
}

/** The webhook's token and the provider's password. */
const SECRETS = [TOKEN, "notify-NoIP-pw"];

Deno.test("notify: updated, waiting, stopped and resumed reach the webhook, the healthcheck and the hook, once each", async () => {
  await using t = await setup();
  const outputs: string[] = [];
  const run = async (args: string[], at: number, code: number) => {
    const r = await t.s.run(args, { now: at });
    outputs.push(r.stdout, r.stderr);
    assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
    return r;
  };
  await run(["once"], T0, ExitCode.Ok);
  assert.deepEqual(t.webhooks().map((w) => [w.kind, w.hosts, w.addresses, w.reply]), [
    ["updated", ["a.ddns.net"], ["81.2.69.142"], "good"],
  ]);
  // The healthcheck hears the event, and the round's end: both on its own URL, all well.
  assert.deepEqual(t.pings(), ["", ""]);
  assert.deepEqual(await t.hookLines(), ["updated home 81.2.69.142"]);

  t.s.server.emulator.setEchoIp("81.2.69.160");
  t.s.server.emulator.pushFault({ kind: "code", body: "911" });
  await run(["once"], T0 + MINUTE, ExitCode.Failure);
  assert.equal(t.webhooks().at(-1).kind, "waiting");
  assert.equal(t.webhooks().at(-1).reply, "911");
  assert.equal((await t.hookLines()).length, 1, "the hook does not want waiting");

  t.s.server.emulator.pushFault({ kind: "code", body: "badauth" });
  await run(["once"], T0 + 32 * MINUTE, ExitCode.Stopped);
  const stopped = t.webhooks().at(-1);
  assert.equal(stopped.kind, "stopped");
  assert.equal(stopped.reply, "badauth");
  assert.match(stopped.message, /dnsbeat resume home/);
  assert.equal(t.pings().at(-1), "/fail", "a stopped provider pings /fail");
  assert.match((await t.hookLines()).at(-1) ?? "", /^stopped home/);

  const before = t.webhooks().length;
  for (let i = 1; i <= 10; i++) await run(["once"], T0 + (32 + i) * MINUTE, ExitCode.Stopped);
  assert.equal(t.webhooks().length, before, "10 restarts that find the stop notify nothing");
  assert.equal((await t.hookLines()).length, 2, "updated, stopped: nothing more");

  await run(["resume", "home"], T0 + 45 * MINUTE, ExitCode.Ok);
  assert.equal(t.webhooks().at(-1).kind, "resumed");
  await run(["once"], T0 + 46 * MINUTE, ExitCode.Ok);
  assert.deepEqual(t.webhooks().map((w) => w.kind), [
    "updated",
    "waiting",
    "stopped",
    "resumed",
    "updated",
  ]);

  const status = await run(["status"], T0 + 47 * MINUTE, ExitCode.Ok);
  assert.match(status.stdout, /phone \(webhook\): last: updated at .*delivered \(HTTP 200\)/);
  assert.match(status.stdout, /hc \(healthcheck\): last: (ping ok|updated) at .*delivered/);
  const state = await Deno.readTextFile(t.s.state);
  assert.ok(parseState(state).ok);
  assert.deepEqual(JSON.parse(state).notify.outbox, [], "everything was delivered");
  const check = await run(["check"], T0, ExitCode.Ok);
  assert.match(
    check.stdout,
    /webhook "phone" \(notify\[0\]\): POST http:\/\/127\.0\.0\.1:\d+\/…/,
  );
  assertNoSecret([...outputs, state], SECRETS);
});

Deno.test("notify: an event the sink did not take waits in the state's outbox and goes with the next start", async () => {
  await using t = await setup();
  t.receiver.answer({ kind: "status", status: 503 });
  t.s.server.emulator.pushFault({ kind: "code", body: "nohost" });
  const first = await t.s.run(["once"], { now: T0 });
  assert.equal(first.code, ExitCode.Stopped);
  assert.match(first.stderr, /notify "phone": could not deliver the stopped event: .*503/);
  const kept = JSON.parse(await Deno.readTextFile(t.s.state)).notify.outbox;
  assert.deepEqual(
    kept.map((o: { event: { kind: string }; pending: string[] }) => [o.event.kind, o.pending]),
    [
      ["stopped", ["phone", "hc"]],
    ],
  );
  t.receiver.answer({ kind: "status", status: 200 });
  const second = await t.s.run(["once"], { now: T0 + 5 * MINUTE });
  assert.equal(second.code, ExitCode.Stopped);
  const stops = t.webhooks().filter((w) => w.kind === "stopped");
  assert.equal(stops.length, 2, "one refused, then the same event once more");
  assert.deepEqual(JSON.parse(await Deno.readTextFile(t.s.state)).notify.outbox, []);
  await t.s.run(["once"], { now: T0 + 10 * MINUTE });
  assert.equal(t.webhooks().filter((w) => w.kind === "stopped").length, 2, "and never again");
  assertNoSecret([first.stdout, first.stderr, second.stdout, second.stderr], SECRETS);
});

Deno.test("notify: a hook that overruns its timeout is ended; the round's request went out first", async () => {
  await using t = await setup({ hookTimeout: "1s", hookSleeps: 30 });
  const started = performance.now();
  const r = await t.s.run(["once"], { now: T0 });
  const took = performance.now() - started;
  assert.equal(r.code, ExitCode.Ok, r.stderr);
  assert.equal(t.s.noipRequests(), 1);
  assert.match(r.stderr, /notify "hook": could not deliver the updated event: .*1s/);
  assert.ok(took < 15_000, `once took ${Math.round(took)} ms with a hook sleeping 30 s`);
  assert.deepEqual(await t.hookLines(), [], "the hook was ended before it wrote");
});

Deno.test("notify-test: one test event to every sink, whatever events it wants; a refusing sink exits 1", async () => {
  await using t = await setup();
  const ok = await t.s.run(["notify-test"], { now: T0 });
  assert.equal(ok.code, ExitCode.Ok, ok.stderr);
  assert.match(ok.stdout, /All 3 sink\(s\) took the test notification/);
  assert.equal(t.webhooks().at(-1).kind, "test");
  assert.equal(t.pings().length, 1, "the healthcheck gets the test event too");
  assert.match((await t.hookLines()).at(-1) ?? "", /^test/);
  t.receiver.answer({ kind: "status", status: 404 });
  const bad = await t.s.run(["notify-test"], { now: T0 });
  assert.equal(bad.code, ExitCode.Failure);
  assert.match(bad.stdout, /2 of 3 sink\(s\) did not take the test notification/);
  assert.equal(t.s.noipRequests(), 0, "notify-test sends nothing to the providers");
  assertNoSecret([ok.stdout, ok.stderr, bad.stdout, bad.stderr], SECRETS);
});
