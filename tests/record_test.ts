/**
 * `providers/record.ts`: how every kind writes what came of a round. The rules are the
 * notification design's (lib/notify/notifier.ts): an outcome and the events telling of it are
 * one state write, so a kill leaves neither without the other; the events go to the sinks only
 * after it. And a stop holds until the user acts, tied to the config that caused it by its
 * fingerprint; a state that cannot be saved is said, naming why.
 */
import assert from "node:assert/strict";
import { createLogger } from "../lib/log/mod.ts";
import { createEvent, type NotifyEvent } from "../lib/notify/events.ts";
import type { Notices } from "../lib/context.ts";
import { notSaved, recordOutcome, recordStop } from "../lib/providers/record.ts";
import { emptyState, type State } from "../lib/state/mod.ts";
import { emptyDynamip } from "../lib/providers/dynamip/entry.ts";
import { StateStore } from "../lib/state/store.ts";
import { FakeClock } from "./helpers/fake_clock.ts";
import type { DynamipProvider } from "../lib/config/types.ts";

const p: DynamipProvider = {
  kind: "dynamip",
  key: "dynamip http://www.dynamip.com George",
  name: "office",
  siteId: "George",
  password: "pw",
  passwordSource: "config",
  ip: "detect",
  server: "http://www.dynamip.com",
  serverAsWritten: "http://www.dynamip.com",
  fingerprint: "config-fingerprint",
};
const AT = "2026-01-01T00:00:00.000Z";

/** A context whose store writes into `disk` (or fails), whose log and sinks are recorded. */
function world(fail: string | null = null) {
  const clock = new FakeClock();
  const disk: State[] = [];
  const log: string[] = [];
  const sent: NotifyEvent[][] = [];
  const state = emptyState();
  state.providers[p.key] = emptyDynamip(p.name);
  const store = new StateStore("/nonexistent/state.json", state, (_path, s) => {
    if (fail !== null) return Promise.reject(new Error(fail));
    disk.push(structuredClone(s));
    return Promise.resolve();
  });
  const notify: Notices = {
    stage: (draft, input) => {
      const event = createEvent(input);
      draft.notify.outbox.push({ at: AT, event, pending: ["hook"] });
      return event;
    },
    send: (events) => {
      sent.push(events.filter((e) => e !== null));
      log.push(`sent ${events.length}`);
    },
    event: () => Promise.resolve(),
    round: () => Promise.resolve(),
  };
  const ctx = {
    store,
    notify,
    configPath: "/etc/dnsbeat/config.json",
    log: createLogger({
      level: "debug",
      timestamps: false,
      color: false,
      clock,
      write: (line) => log.push(line),
    }),
  };
  return { ctx, disk, log, sent };
}

Deno.test("recordStop: the stop, the rest of the reply and its events are one write; then the log, then the sinks", async () => {
  const { ctx, disk, log, sent } = world();
  await recordStop(ctx, p, {
    code: "Account Expired",
    hosts: [],
    at: AT,
    event: { providerType: "dynamip", hosts: ["George"] },
    message: "Beats of provider office are stopped.",
  }, (s) => {
    s.providers[p.key]!.name = "renamed in the same write";
    return {
      events: [{
        kind: "expiring",
        provider: "office",
        providerType: "dynamip",
        message: "m",
        time: AT,
      }],
      said: [{ level: "info", text: "first this" }],
    };
  });
  assert.equal(disk.length, 1, "one write");
  const [written] = disk;
  const entry = written!.providers[p.key]!;
  assert.deepEqual(entry.stop, {
    code: "Account Expired",
    hosts: [],
    at: AT,
    fingerprint: "config-fingerprint",
  });
  assert.equal(entry.name, "renamed in the same write");
  assert.deepEqual(written!.notify.outbox.map((o) => o.event.kind), ["expiring", "stopped"]);
  const stopped = written!.notify.outbox[1]!.event;
  assert.equal(stopped.reply, "Account Expired");
  assert.equal(stopped.time, AT);
  assert.deepEqual(stopped.hosts, ["George"]);
  assert.match(stopped.action ?? "", /dnsbeat resume office/);
  assert.deepEqual(log, [
    "info: first this",
    "error: Beats of provider office are stopped.",
    "sent 2",
  ]);
  assert.deepEqual(sent[0]!.map((e) => e.kind), ["expiring", "stopped"]);
});

Deno.test("recordOutcome: a write that fails keeps the outcome in memory and says why, naming the provider", async () => {
  const { ctx, disk, log } = world("/var/lib/dnsbeat/state.json: no space left on the device");
  const saved = await recordOutcome(ctx, p, (s) => {
    s.providers[p.key]!.stop = { code: "x", hosts: [], at: AT, fingerprint: "f" };
    return { said: [{ level: "warn", text: "what happened" }] };
  });
  assert.equal(saved, false);
  assert.equal(disk.length, 0);
  assert.equal(ctx.store.state.providers[p.key]!.stop?.code, "x", "kept in memory");
  assert.equal(log[0], "warn: what happened");
  assert.match(
    log[1]!,
    /^error: Provider "office": could not save the state \(.*no space left on the device\)\. .*nothing is sent until then/,
  );
  assert.equal(log[2], "sent 0");
});

Deno.test("notSaved: says why the last write failed", () => {
  const { ctx, log } = world();
  notSaved(ctx, "office");
  assert.match(log[0]!, /Provider "office": could not save the state \(unknown error\)/);
});
