/**
 * Signals during a request, black-box: `dnsbeat run` against an emulator whose update endpoint
 * never answers. SIGTERM or SIGINT while the request is in flight ends the process within
 * 2 seconds with exit 0 and a state that parses, and nothing recorded as confirmed. Both keep
 * the attempt, which may have arrived: No-IP backs off before sending it again, DynamIP's
 * 15-minute floor counts it.
 */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { finish, watch } from "./helpers/lines.ts";
import { type Sandbox, sandbox } from "./helpers/sandbox.ts";
import { report } from "./helpers/report.ts";

const LIMIT_MS = 2000;

/** Starts `dnsbeat run`, waits until its update hangs at the emulator, then sends `signal`. */
async function interrupt(s: Sandbox, route: "noip" | "dynamip", signal: Deno.Signal) {
  const inFlight = Promise.withResolvers<void>();
  s.server.emulator.pushFault({ kind: "hang", target: route });
  const poll = setInterval(() => {
    if (s.server.emulator.requests.some((r) => r.provider === route)) inFlight.resolve();
  }, 5);
  const w = watch(s.spawn(["run", "--debug"]));
  try {
    await inFlight.promise;
  } finally {
    clearInterval(poll);
  }
  const sent = performance.now();
  w.child.kill(signal);
  const end = await finish(w, sent);
  assert.equal(end.code, ExitCode.Ok, end.stderr);
  assert.ok(end.ms < LIMIT_MS, `ended ${end.ms} ms after ${signal}`);
  assert.match(end.stdout, /dnsbeat stopped by signal; the state is saved\./);
  assert.doesNotMatch(end.stdout + end.stderr, /^\s+at /m, "no stack trace");
  return { ...end, state: await s.readState() };
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`signals: ${signal} during a No-IP request: exit 0 within 2 s, the attempt kept`, async () => {
    const s = await sandbox();
    try {
      const end = await interrupt(s, "noip", signal);
      const entry = await s.noipEntry();
      assert.ok(entry?.attempt, "the attempt was written ahead and stays: it may have arrived");
      assert.equal(entry.hosts["a.ddns.net"]?.sent ?? null, null, "nothing confirmed");
      assert.equal(entry.stop, null);
      const next = await s.run(["once"]);
      assert.equal(next.code, ExitCode.Failure, "the next start backs off");
      assert.match(next.stderr, /no reply \(dnsbeat ended before the reply came\)/);
      assert.equal(s.noipRequests(), 1);
      report(`No-IP request in flight, ${signal} → exit ${end.code} in ${end.ms} ms`);
    } finally {
      await s.close();
    }
  });

  Deno.test(`signals: ${signal} during a DynamIP beat: exit 0 within 2 s, no beat, attempt kept`, async () => {
    const s = await sandbox();
    try {
      await s.writeConfig([s.dynamip()]);
      const end = await interrupt(s, "dynamip", signal);
      const site = await s.dynamipEntry();
      assert.ok(site?.lastRequest, "the attempt stays for the 15-minute floor");
      assert.equal(site.lastBeat, null);
      assert.equal(site.lastIp, null);
      assert.equal(site.lastReply, null);
      assert.equal(site.stop, null);
      const next = await s.run(["once"]);
      assert.equal(next.code, ExitCode.Ok, next.stderr);
      assert.match(next.stdout, /no beat now; DynamIP allows one every 15 minutes/);
      assert.equal(s.server.emulator.requests.filter((r) => r.provider === "dynamip").length, 1);
      report(`DynamIP beat in flight, ${signal} → exit ${end.code} in ${end.ms} ms`);
    } finally {
      await s.close();
    }
  });
}
