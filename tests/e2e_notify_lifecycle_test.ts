/**
 * Black-box: notifications where processes begin and end. `main.ts` runs as a child process
 * with the shipped permissions, against the emulator and a receiver on 127.0.0.1 that answers
 * 200, 500, hangs or cuts its reply; the receiver counts what arrives. Time across processes is
 * injected with DNSBEAT_NOW; nothing here waits for an hour of real time.
 */
import assert from "node:assert/strict";
import { HOUR, MINUTE } from "../lib/config/duration.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import { EXIT_SETTLE_MS } from "../lib/notify/notifier.ts";
import { finish, watch } from "./helpers/lines.ts";
import { type Receiver, startReceiver } from "./helpers/receiver.ts";
import { report } from "./helpers/report.ts";
import { type Sandbox, sandbox } from "./helpers/sandbox.ts";
import { assertNoSecret } from "./helpers/secret.ts";

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

/**
 * A sandbox whose config has one webhook sink at a fresh receiver (`timeout` as given); disposing
 * it closes both.
 */
async function setup(
  options: { timeout?: string; providers?: "noip" | "both"; healthcheck?: boolean } = {},
) {
  const s = await sandbox();
  const receiver = startReceiver();
  const write = (url = `${receiver.url}/hook`) =>
    s.writeConfig(options.providers === "both" ? [s.noip(), s.dynamip()] : [s.noip()], {
      notify: [{
        type: "webhook",
        name: "phone",
        url,
        body: { kind: "{{kind}}", id: "{{id}}", reply: "{{json:reply}}" },
        timeout: options.timeout ?? "2s",
      }, ...(options.healthcheck ? [{ type: "healthcheck", name: "hc", url: `${url}/ping` }] : [])],
    });
  await write();
  const events = (r: Receiver = receiver) =>
    r.requests.filter((q) => q.path === "/hook").map((q) => JSON.parse(q.body));
  const outbox = async () => (await s.readState()).notify.outbox;
  const close = async () => {
    await receiver.close();
    await s.close();
  };
  return { s, receiver, write, events, outbox, close, [Symbol.asyncDispose]: close };
}

/** Runs `dnsbeat run` to its end; returns how it ended and how long after start. */
async function runToEnd(s: Sandbox, now: number) {
  const started = performance.now();
  return await finish(watch(s.spawn(["run"], { now })), started);
}

Deno.test("run tells the stop that ends it: the receiver has it before the exit 3", async () => {
  await using t = await setup();
  t.s.server.emulator.pushFault({ kind: "code", body: "badauth" });
  const end = await runToEnd(t.s, T0);
  assert.equal(end.code, ExitCode.Stopped, end.stderr);
  assert.deepEqual(t.events().map((e) => [e.kind, e.reply]), [["stopped", "badauth"]]);
  assert.deepEqual(await t.outbox(), [], "delivered, struck off");
  for (let i = 1; i <= 5; i++) {
    const again = await runToEnd(t.s, T0 + i * MINUTE);
    assert.equal(again.code, ExitCode.Stopped);
  }
  assert.equal(t.events().length, 1, "5 more starts that find the stop tell nothing");
  report(`run ends by badauth: stopped event delivered, exit 3 after ${end.ms} ms`);
});

Deno.test("run tells the stop that ends it: a sink answering 500 has it tried before the exit, and again at the next start", async () => {
  await using t = await setup();
  t.receiver.answer({ kind: "status", status: 500 });
  t.s.server.emulator.pushFault({ kind: "code", body: "badauth" });
  const end = await runToEnd(t.s, T0);
  assert.equal(end.code, ExitCode.Stopped, end.stderr);
  assert.ok(end.ms < EXIT_SETTLE_MS + 5000, `ended after ${end.ms} ms`);
  assert.equal(t.events().length, 1, "tried before the exit");
  assert.match(end.stderr, /tried again at the next start/);
  const kept = await t.outbox();
  assert.deepEqual(kept.map((o) => [o.event.kind, o.pending]), [["stopped", ["phone"]]]);
  assert.ok(kept[0]?.tried, "the first attempt is recorded: the hour counts from it");
  t.receiver.answer({ kind: "status", status: 200 });
  const next = await runToEnd(t.s, T0 + 30 * MINUTE);
  assert.equal(next.code, ExitCode.Stopped);
  assert.equal(t.events().length, 2, "the same event, once more, now taken");
  assert.equal(t.events()[0].id, t.events()[1].id, "one id: the receiver can drop the repeat");
  assert.deepEqual(await t.outbox(), []);
});

Deno.test("run gives a hanging sink at most 10 s at its end; the event never tried is never given up", async () => {
  await using t = await setup({ timeout: "60s" });
  t.receiver.answer({ kind: "hang" });
  t.s.server.emulator.pushFault({ kind: "code", body: "badauth" });
  const end = await runToEnd(t.s, T0);
  assert.equal(end.code, ExitCode.Stopped, end.stderr);
  assert.ok(end.ms >= EXIT_SETTLE_MS - 1000, `waited ${end.ms} ms for the sink`);
  assert.ok(end.ms < EXIT_SETTLE_MS + 5000, `ended after ${end.ms} ms`);
  const kept = await t.outbox();
  assert.deepEqual(kept.map((o) => o.event.kind), ["stopped"]);
  assert.equal(kept[0]?.tried, undefined, "no attempt ended: the event was never tried");
  // Three hours later, a start still sends it.
  t.receiver.answer({ kind: "status", status: 200 });
  const later = await t.s.run(["once"], { now: T0 + 3 * HOUR });
  assert.equal(later.code, ExitCode.Stopped);
  assert.doesNotMatch(later.stderr, /given up/);
  assert.equal(t.events().filter((e) => e.kind === "stopped").length, 2, "hung, then taken");
  assert.deepEqual(await t.outbox(), []);
  report(`run ends by badauth with a hanging sink: exit 3 after ${end.ms} ms`);
});

Deno.test("an event is tried for its full hour across restarts: a receiver back at 59 min gets it; at 61 min it is given up", async () => {
  await using t = await setup();
  t.receiver.answer({ kind: "status", status: 503 });
  t.s.server.emulator.pushFault({ kind: "code", body: "nohost" });
  assert.equal((await t.s.run(["once"], { now: T0 })).code, ExitCode.Stopped);
  assert.equal((await t.s.run(["once"], { now: T0 + 50 * MINUTE })).code, ExitCode.Stopped);
  t.receiver.answer({ kind: "status", status: 200 });
  assert.equal((await t.s.run(["once"], { now: T0 + 59 * MINUTE })).code, ExitCode.Stopped);
  assert.equal(t.events().length, 3, "tried at 0, 50 and 59 min; taken at 59");
  assert.deepEqual(await t.outbox(), []);

  // A second event that never gets through: tried at 0 and 59 min, given up after the hour.
  await using u = await setup();
  u.receiver.answer({ kind: "status", status: 503 });
  u.s.server.emulator.pushFault({ kind: "code", body: "nohost" });
  await u.s.run(["once"], { now: T0 });
  await u.s.run(["once"], { now: T0 + 59 * MINUTE });
  assert.equal(u.events().length, 2);
  const late = await u.s.run(["once"], { now: T0 + 61 * MINUTE });
  assert.equal(u.events().length, 2, "not tried after its hour");
  assert.match(late.stderr, /1 event\(s\) could not be delivered within 1h of trying/);
  assert.deepEqual(await u.outbox(), []);
});

Deno.test("resume with the lock held by `once`: not handed over, said, exit 4, nothing left to lift a later stop", async () => {
  await using t = await setup({ timeout: "20s" });
  // A stop whose event the sink refused: the next `once` delivers it, slowly, holding the lock.
  t.receiver.answer({ kind: "status", status: 503 });
  t.s.server.emulator.pushFault({ kind: "code", body: "badauth" });
  assert.equal((await t.s.run(["once"], { now: T0 })).code, ExitCode.Stopped);
  // The sink holds its answer until the resume has ended: `once` keeps the lock till then.
  t.receiver.answer({ kind: "held" });
  const once = watch(t.s.spawn(["once"], { now: T0 + MINUTE }));
  await t.receiver.received(2);
  const started = performance.now();
  const resumed = await t.s.run(["resume", "home"], { now: T0 + MINUTE });
  const took = Math.round(performance.now() - started);
  assert.equal(resumed.code, ExitCode.Locked, resumed.stdout + resumed.stderr);
  assert.match(resumed.stderr, /did not take the request to lift the stop of home \(badauth/);
  assert.match(resumed.stderr, /Nothing was lifted, and the request was taken back/);
  assert.doesNotMatch(resumed.stdout + resumed.stderr, /SIGHUP/);
  t.receiver.letGo();
  assert.equal((await finish(once)).code, ExitCode.Stopped);
  const left = [];
  for await (const e of Deno.readDir(t.s.dir)) if (e.name.includes(".resume")) left.push(e.name);
  assert.deepEqual(left, [], "no request file left behind");
  // A daemon started later finds the stop, lifts nothing, sends nothing.
  const end = await runToEnd(t.s, T0 + 2 * MINUTE);
  assert.equal(end.code, ExitCode.Stopped);
  assert.equal(t.s.noipRequests(), 1, "no second badauth");
  report(`resume against \`once\` holding the lock: exit 4 after ${took} ms, nothing left`);
});

Deno.test("a resume request names the stop it lifts: a later stop, or a request of an older dnsbeat, lifts nothing", async () => {
  await using t = await setup({ providers: "both" });
  t.s.server.emulator.pushFault({ kind: "code", body: "badauth", target: "noip" });
  const w = watch(t.s.spawn(["run"], { now: T0 }));
  try {
    await w.stderr.waitFor(/badauth/, 15_000);
    const stop = (await t.s.noipEntry())?.stop;
    assert.equal(stop?.code, "badauth", w.stdout.text + w.stderr.text);
    const key = Object.entries((await t.s.readState()).providers)
      .find(([, e]) => e.type === "dyndns2")?.[0];
    assert.ok(key);
    // Requests left by someone who saw another stop, and by an older dnsbeat, then SIGHUP.
    const request = `${await Deno.realPath(t.s.state)}.resume`;
    const older = { key, name: "home", code: "badauth", at: "2026-11-01T00:00:00.000Z" };
    const leave = async (data: unknown) => {
      await Deno.writeTextFile(`${request}.tmp-test`, JSON.stringify(data));
      await Deno.rename(`${request}.tmp-test`, request);
    };
    await leave({ stops: [older], edited: null });
    await w.stderr.waitFor(/stopped again since \(badauth at /, 10_000);
    await leave({ providers: ["home"] });
    w.child.kill("SIGHUP");
    await w.stdout.waitFor(/read again \(resume\)/, 10_000);
    assert.equal((await t.s.noipEntry())?.stop?.at, stop?.at, "the stop stays");
    assert.equal(t.s.noipRequests(), 1, "no second badauth");
    // The user's own resume names the stop they saw: it is lifted.
    const resumed = await t.s.run(["resume", "home"], { now: T0 + MINUTE });
    assert.equal(resumed.code, ExitCode.Ok, resumed.stderr);
    await w.stdout.waitFor(/resumed by `dnsbeat resume`/, 10_000);
    for (let i = 0; i < 100 && t.s.noipRequests() < 2; i++) await delay(100);
    assert.equal(t.s.noipRequests(), 2, "resumed: one request");
  } finally {
    w.child.kill("SIGTERM");
    await finish(w);
  }
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("notify-test pings what the state says: the fail URL while a provider is stopped", async () => {
  await using t = await setup({ healthcheck: true });
  const pings = () => t.receiver.requests.filter((r) => r.path.startsWith("/hook/ping"));
  const before = await t.s.run(["notify-test"], { now: T0 });
  assert.equal(before.code, ExitCode.Ok, before.stderr);
  assert.deepEqual(pings().map((r) => r.path), ["/hook/ping"], "all is well: the success URL");
  t.s.server.emulator.pushFault({ kind: "code", body: "badauth" });
  assert.equal((await t.s.run(["once"], { now: T0 + MINUTE })).code, ExitCode.Stopped);
  const after = pings().length;
  const stopped = await t.s.run(["notify-test"], { now: T0 + 2 * MINUTE });
  assert.equal(stopped.code, ExitCode.Ok, stopped.stderr);
  const test = pings().slice(after);
  assert.deepEqual(test.map((r) => r.path), ["/hook/ping/fail"], "stopped: the fail URL only");
  assert.equal(t.events().at(-1).kind, "test", "the webhook still gets the test event");
});

Deno.test("a form-encoded body: a server reply full of & and = stays one field's value", async () => {
  await using s = await sandbox();
  await using receiver = startReceiver();
  await s.writeConfig([s.noip()], {
    notify: [{
      type: "webhook",
      name: "pushover",
      url: `${receiver.url}/form`,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "token=app-Token-1234&priority=0&title={{title}}&message={{message}} {{reply}}",
    }],
  });
  s.server.emulator.pushFault({ kind: "code", body: "&priority=2&token=EVIL" });
  await s.run(["once"], { now: T0 });
  const [request] = await receiver.received(1);
  const form = new URLSearchParams(request!.body);
  assert.deepEqual([...form.keys()], ["token", "priority", "title", "message"]);
  assert.equal(form.get("token"), "app-Token-1234");
  assert.equal(form.get("priority"), "0");
  assert.match(form.get("message") ?? "", /&priority=2&token=EVIL/, "the reply, as text");

  // A text body of a type dnsbeat cannot write safely is refused at the start.
  await s.writeConfig([s.noip()], {
    notify: [{
      type: "webhook",
      url: `${receiver.url}/xml`,
      headers: { "Content-Type": "application/xml" },
      body: "<m>{{message}}</m>",
    }],
  });
  const refused = await s.run(["check"], { now: T0 });
  assert.equal(refused.code, ExitCode.Usage);
  assert.match(refused.stderr, /notify\[0\]\.body: dnsbeat writes values safely only into/);
});

Deno.test("messages: a refused delivery in once says it is kept for the next start, nothing else", async () => {
  await using t = await setup();
  t.receiver.answer({ kind: "status", status: 503 });
  t.s.server.emulator.pushFault({ kind: "code", body: "badauth" });
  const r = await t.s.run(["once"], { now: T0 });
  assert.match(
    r.stderr,
    /notify "phone": could not deliver the stopped event: the server answered HTTP 503; it stays in the state file and is tried again at the next start/,
  );
  assert.doesNotMatch(r.stderr, /gave up|given up|tries again later/);
  assert.equal((await t.outbox()).length, 1);
});

Deno.test("messages: a blocked port and a TLS failure in the provider code's words; the blocked port is not retried", async () => {
  await using t = await setup();
  // Port 6000 is one fetch never connects to; the receiver speaks plain HTTP, not TLS.
  await t.write("http://127.0.0.1:6000/hook");
  t.s.server.emulator.pushFault({ kind: "code", body: "badauth" });
  const blocked = await t.s.run(["once"], { now: T0 });
  assert.match(
    blocked.stderr,
    /could not deliver the stopped event: the URL's port is one that fetch never connects to \(reserved for other protocols\); use another port in notify\[0\]\.url$/m,
  );
  assert.doesNotMatch(blocked.stderr, /check the network|tried again/);
  assert.deepEqual(await t.outbox(), [], "not kept: trying again cannot help");

  await t.s.writeConfig([t.s.noip({ password: "another-password" })], {
    notify: [{
      type: "webhook",
      name: "phone",
      url: `${t.receiver.url.replace("http:", "https:")}/hook`,
    }],
  });
  t.s.server.emulator.pushFault({ kind: "code", body: "badauth" });
  const tls = await t.s.run(["once"], { now: T0 + MINUTE });
  assert.match(
    tls.stderr,
    /could not deliver the (resumed|stopped) event: TLS handshake failed: check that the server in notify\[0\]\.url speaks HTTPS/,
  );
  assert.doesNotMatch(tls.stderr, /check the network/);
});

Deno.test("messages: a quoted reply masks the secret header values, not the Content-Type", async () => {
  await using s = await sandbox();
  const token = "Bearer-Token-9f8e7d6c";
  await using receiver = startReceiver({
    kind: "status",
    status: 415,
    body: `unsupported text/plain; charset=utf-8 from ${token}`,
  });
  await s.writeConfig([s.noip()], {
    notify: [{
      type: "webhook",
      url: `${receiver.url}/x`,
      headers: { "Authorization": `Bearer ${token}` },
      body: "{{message}}",
    }],
  });
  s.server.emulator.pushFault({ kind: "code", body: "badauth" });
  const r = await s.run(["once"], { now: T0 });
  assert.match(r.stderr, /it said: "unsupported text\/plain; charset=utf-8 from \*+"/);
  assertNoSecret(r.stderr, token);
});

Deno.test("SIGHUP re-targets a delivery waiting to retry: the fixed sink gets it at once", async () => {
  await using t = await setup({ providers: "both" });
  await using fixed = startReceiver();
  t.receiver.answer({ kind: "status", status: 500 });
  t.s.server.emulator.pushFault({ kind: "code", body: "badauth", target: "noip" });
  const w = watch(t.s.spawn(["run"], { now: T0 }));
  try {
    await w.stderr.waitFor(/could not deliver the stopped event: .*trying again in 10s/, 10_000);
    await t.write(`${fixed.url}/hook`);
    const sent = performance.now();
    w.child.kill("SIGHUP");
    // The stop, and DynamIP's first address, which the old URL refused too.
    const requests = await fixed.received(2);
    const took = Math.round(performance.now() - sent);
    assert.deepEqual(requests.map((r) => JSON.parse(r.body).kind).sort(), ["stopped", "updated"]);
    assert.ok(took < 5000, `the fixed sink got it ${took} ms after SIGHUP`);
    assert.equal(t.events().length, 2, "the old URL was tried once for each, before the reload");
    await w.stdout.waitFor(/notify "phone": the stopped event was delivered/, 5000);
    report(`SIGHUP with a fixed sink URL: the pending event arrived ${took} ms later`);
  } finally {
    w.child.kill("SIGTERM");
    await finish(w);
  }
  assert.deepEqual(await t.outbox(), []);
});

Deno.test("20 SIGHUPs in one second cost no address detection and no health ping beyond the interval's", async () => {
  await using t = await setup({ healthcheck: true });
  const detections = () => t.s.server.emulator.requests.filter((r) => r.provider === "ip").length;
  const pings = () => t.receiver.requests.filter((r) => r.path.startsWith("/hook/ping")).length;
  const w = watch(t.s.spawn(["run"], { now: T0 }));
  try {
    await w.stdout.waitFor(/a\.ddns\.net now points to/, 10_000);
    // The webhook's event, the healthcheck's ping for it, and its ping after the round.
    await t.receiver.received(3);
    const before = { detections: detections(), pings: pings(), noip: t.s.noipRequests() };
    assert.deepEqual(before, { detections: 1, pings: 2, noip: 1 });
    for (let i = 0; i < 20; i++) {
      w.child.kill("SIGHUP");
      await delay(50);
    }
    for (
      let i = 0;
      i < 100 && (w.stdout.text.match(/read again \(reload\)/g) ?? []).length < 20;
      i++
    ) {
      await delay(50);
    }
    await delay(500);
    const reloads = (w.stdout.text.match(/read again \(reload\)/g) ?? []).length;
    assert.ok(reloads >= 1, "the reloads were done");
    assert.deepEqual(
      { detections: detections(), pings: pings(), noip: t.s.noipRequests() },
      before,
      `${reloads} reloads`,
    );
    report(`20 SIGHUPs in 1 s: ${reloads} reloads, 0 detections, 0 pings, 0 No-IP requests`);
  } finally {
    w.child.kill("SIGTERM");
    await finish(w);
  }
});

Deno.test("one write, as the disk sees it: no version of the state file holds a stop without its event", async () => {
  const t = await setup();
  const seen: string[] = [];
  const watcher = Deno.watchFs(t.s.dir);
  const watching = (async () => {
    for await (const _ of watcher) {
      try {
        seen.push(await Deno.readTextFile(t.s.state));
      } catch {
        // Between a rename and the next: read at the next event.
      }
    }
  })();
  try {
    t.receiver.answer({ kind: "status", status: 503 });
    for (const [i, code] of ["badauth", "nohost", "abuse"].entries()) {
      await t.s.writeConfig([t.s.noip({ password: `password-${i}` })], {
        notify: [{ type: "webhook", name: "phone", url: `${t.receiver.url}/hook` }],
      });
      t.s.server.emulator.setEchoIp(`81.2.69.${150 + i}`);
      t.s.server.emulator.pushFault({ kind: "code", body: code });
      assert.equal((await t.s.run(["once"], { now: T0 + i * HOUR })).code, ExitCode.Stopped);
    }
  } finally {
    watcher.close();
    await watching;
    await t.close();
  }
  let stops = 0;
  for (const text of new Set(seen)) {
    const state = JSON.parse(text);
    for (const entry of Object.values(state.providers) as { stop: { at: string } | null }[]) {
      if (entry.stop === null) continue;
      stops++;
      const told = state.notify.outbox.some((o: { event: { kind: string; time: string } }) =>
        o.event.kind === "stopped" && o.event.time === entry.stop!.at
      );
      assert.ok(told, `a version of the state file holds the stop at ${entry.stop.at} alone`);
    }
  }
  assert.ok(stops >= 3, `${stops} versions with a stop were seen`);
});
