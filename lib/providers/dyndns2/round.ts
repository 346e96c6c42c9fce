/**
 * One DynDNS2 round and the change-driven loop around it, for any service profile, and the
 * account machinery another round reuses for an entry of the same shape (Cloudflare's:
 * {@link prepare}, {@link gateLine}, {@link backOff}, {@link runRounds}). A round asks
 * {@link gate} whether the account may send at all, detects the address, asks {@link due} which
 * hosts need it (hosts without a record first ask DNS, {@link adoptFromDns}), writes the attempt to the state, sends it (at most the profile's `maxHosts` a
 * request), and records the server's answer before anything else happens. Every error stops the
 * whole provider; a request whose answer never came counts as sent and starts the back-off.
 *
 * @module
 */
import { ensureEntry } from "../../state/store.ts";
import { backoffDelay, PROVIDER_BACKOFF } from "../../backoff.ts";
import type { Dyndns2Provider } from "../../config/types.ts";
import { dyndns2Account, type HostsAccount } from "./account.ts";
import type { Context, RoundEnd, Stopping } from "../../context.ts";
import { type IpFamily } from "../../net/ip.ts";
import { LOOK_GAP_MS, LOOK_SETTLE_MS } from "../../daemon/looks.ts";
import { noAddress, stillStopped } from "../../messages.ts";
import type { EventInput } from "../../notify/events.ts";
import { notSaved, recordOutcome, recordStop, type Said, type Told } from "../record.ts";
import * as say from "./messages.ts";
import { endAt, type Moment, stamp, wallAt } from "../../state/moment.ts";
import { quoted } from "../../log/snippet.ts";
import type { Addresses, Backoff, State } from "../../state/mod.ts";
import { type Attempt, type Dyndns2State, emptyDyndns2, emptyHost } from "./entry.ts";
import { adoptFromDns } from "./adopt.ts";
import { due, type Gate, gate, merge, requests, type Send } from "./plan.ts";
import { addressList } from "../../state/parts.ts";
import type { Outcome } from "./protocol.ts";

/** What the account machinery needs of a provider. */
export type Machinery = Pick<HostsAccount, "key" | "name" | "label" | "intervalMs">;

/** The entry of `p` in `state`. */
export function entryOf(state: Readonly<State>, p: Pick<HostsAccount, "key">): Dyndns2State {
  return state.providers[p.key] as Dyndns2State;
}

/**
 * Makes sure the state has an entry for `p` under its current name (in memory: the next write
 * saves it), and that a request left without an answer by an earlier process has started its
 * back-off (written at once).
 */
export async function prepare(ctx: Context, p: Machinery): Promise<Dyndns2State> {
  ensureEntry(ctx.store, p.key, emptyDyndns2(p.name));
  const attempt = entryOf(ctx.store.state, p).attempt;
  if (attempt !== null && !counted(entryOf(ctx.store.state, p).backoff, attempt)) {
    await ctx.store.record((s) => {
      entryOf(s, p).backoff = nextBackoff(entryOf(s, p).backoff, attempt.at);
    });
    const b = entryOf(ctx.store.state, p).backoff!;
    ctx.log.warn(
      say.noReply(p, "dnsbeat ended before the reply came", endAt(b.from, b.ms, ctx.clock)),
    );
  }
  return entryOf(ctx.store.state, p);
}

/** Whether `backoff` already counts `attempt` (it started when or after the attempt was sent). */
function counted(backoff: Backoff | null, attempt: Attempt): boolean {
  return backoff !== null && backoff.from.mono >= attempt.at.mono;
}

function nextBackoff(previous: Backoff | null, from: Moment): Backoff {
  const failures = (previous?.failures ?? 0) + 1;
  return { failures, from, ms: backoffDelay(failures, PROVIDER_BACKOFF) };
}

/** One round for DynDNS2 provider `p` (also what `dnsbeat once` runs). */
export function dyndns2Round(
  ctx: Context,
  p: Dyndns2Provider,
  signal: AbortSignal,
): Promise<RoundEnd> {
  return hostsRound(ctx, dyndns2Account(p), signal);
}

/** One round for the account `p` (a DynDNS2 provider's, a `custom` one's). */
export async function hostsRound(
  ctx: Context,
  p: HostsAccount,
  signal: AbortSignal,
): Promise<RoundEnd> {
  const entry = await prepare(ctx, p);
  const open = gate(entry, ctx.clock);
  if (open.kind === "stopped") {
    ctx.log.error(stillStopped(p.name, open.stop.at, say.stopped(p, open.stop, ctx.configPath)));
    return { kind: "stopped" };
  }
  if (open.kind === "waiting") {
    ctx.log.info(gateLine(ctx, p, open));
    return { kind: "waiting" };
  }

  const detected: Addresses = { ipv4: null, ipv6: null };
  for (const family of p.families) {
    const found = await ctx.detect(family, signal);
    if (signal.aborted) return { kind: "aborted" };
    if (found.kind === "found") detected[family] = found.ip;
    else ctx.log.warn(noAddress(familyName(family), found.problems));
  }
  if (addressList(detected).length === 0) return { kind: "failed" };

  const wanted = due(p, entry, detected, ctx.clock);
  const adopted = wanted === null ? [] : await adoptFromDns(ctx, p, wanted, signal);
  if (signal.aborted) return { kind: "aborted" };
  const send = wanted && { ...wanted, hosts: wanted.hosts.filter((h) => !adopted.includes(h)) };
  if (send === null || send.hosts.length === 0) {
    ctx.log.debug(
      `${p.label} "${p.name}": address unchanged (${
        addressList(detected).join(", ")
      }); nothing sent.`,
    );
    return { kind: "ok" };
  }

  // Hosts with the same addresses together, at most the service's `maxHosts` a request (and a
  // request per family where a request sends one address); one that does not end well ends the
  // round.
  for (const request of requests(send.hosts, send.addresses, p.maxHosts)) {
    const each = p.oneFamily
      ? perFamily(request.addresses).filter((a) =>
        request.hosts.some((h) => needs(entry, send, h, a))
      )
      : [request.addresses];
    for (const addresses of each) {
      const end = await update(ctx, p, request.hosts, addresses, signal);
      if (end.kind !== "ok") return end;
    }
  }
  return { kind: "ok" };
}

/** What a round says when a wait or a back-off holds it (see {@link gate}). */
export function gateLine(
  ctx: Context,
  p: Machinery,
  open: Extract<Gate, { kind: "waiting" }>,
): string {
  return `${p.label} "${p.name}": nothing may be sent before ${
    wallAt(ctx.clock.mono() + open.leftMs, ctx.clock)
  } (${
    open.code === null ? "backing off after failures" : `the server said ${open.code}`
  }); this check sends nothing.`;
}

/** Sends one request for `hosts` with `addresses`, written down first, and settles its reply. */
async function update(
  ctx: Context,
  p: HostsAccount,
  hosts: string[],
  addresses: Addresses,
  signal: AbortSignal,
): Promise<RoundEnd> {
  // Write-ahead: the attempt is on disk before the request leaves. The one it replaces may have
  // reached the server without a reply: what its hosts have there stays unknown until a success.
  const unsettled = entryOf(ctx.store.state, p).attempt;
  const attempt: Attempt = { at: stamp(ctx.clock), hosts, sent: addresses };
  try {
    // Hosts no longer configured keep their record: put back, they need no update.
    await ctx.store.commit((s) => {
      const e = entryOf(s, p);
      e.attempt = attempt;
      // The request it replaces may have reached the server: where it carried another address
      // than the one sent before, what the server holds is unknown until a success.
      for (const host of unsettled?.hosts ?? []) {
        const h = e.hosts[host];
        for (const f of ["ipv4", "ipv6"] as const) {
          const maybe = unsettled!.sent[f];
          if (h?.sent && maybe !== null && maybe !== h.sent[f]) h.sent[f] = null;
        }
      }
    });
  } catch {
    notSaved(ctx, p.name);
    return { kind: "failed" };
  }
  const request = p.request(hosts, addresses);
  ctx.log.debug(
    `${p.label} "${p.name}": sending ${hosts.join(", ")} → ${addressList(addresses).join(", ")}.`,
  );
  const result = await ctx.httpGet({ ...request, signal });
  switch (result.kind) {
    case "aborted":
      // The attempt stays in the state: the next start counts it as sent and backs off.
      return { kind: "aborted" };
    case "unreached":
      return await backOff(ctx, p, result.reason, null, unsettled);
    case "failed":
      return await backOff(ctx, p, result.reason, attempt, null);
    case "redirect-refused":
      ctx.log.warn(
        `${p.label} "${p.name}": ${result.reason} (to ${quoted(result.location, p.mask)}).`,
      );
      return await settle(
        ctx,
        p,
        { attempt, unsettled },
        p.read({ status: result.status, body: "" }, hosts, addresses),
      );
    case "reply":
      return await settle(
        ctx,
        p,
        { attempt, unsettled },
        p.read(result, hosts, addresses),
      );
  }
}

/**
 * A request that got no answer: back off. `unknown` is the attempt when it may have reached the
 * server (it stays in the state, and counts as sent), null when it certainly did not.
 */
export async function backOff(
  ctx: Context,
  p: Machinery,
  reason: string,
  unknown: Attempt | null,
  unsettled: Attempt | null,
): Promise<RoundEnd> {
  const backoff = nextBackoff(entryOf(ctx.store.state, p).backoff, unknown?.at ?? stamp(ctx.clock));
  const until = endAt(backoff.from, backoff.ms, ctx.clock);
  await recordOutcome(ctx, p, (s) => {
    const e = entryOf(s, p);
    e.backoff = backoff;
    // A request that never left settles nothing: an earlier one without reply stays unknown.
    if (unknown === null) e.attempt = unsettled;
    const text = unknown === null
      ? say.backingOff(p, reason, until, backoff.failures)
      : say.noReply(p, reason, until);
    return { said: [{ level: "warn", text }] };
  });
  return { kind: "failed" };
}

/** Records the server's answer to `attempt` and says what came of it. */
async function settle(
  ctx: Context,
  p: HostsAccount,
  { attempt, unsettled }: { attempt: Attempt; unsettled: Attempt | null },
  outcomes: Outcome[],
): Promise<RoundEnd> {
  ctx.log.debug(
    `${p.label} "${p.name}": reply codes ${
      outcomes.map((o, i) => `${attempt.hosts[i]} ${o.code}`).join(", ")
    }.`,
  );
  const now = stamp(ctx.clock);
  const stopped = outcomes.flatMap((o, i) =>
    o.kind === "stop" ? [{ o, host: attempt.hosts[i]! }] : []
  );
  const waited = outcomes.find((o) => o.kind === "wait");
  const event = { provider: p.name, providerType: p.configType, time: now.at };
  const good = outcomes.flatMap((o, i) => o.kind === "success" && o.code === "good" ? [i] : []);
  const confirmed = outcomes[good[0] ?? -1];
  const until = waited?.kind === "wait" ? endAt(now, waited.waitMs, ctx.clock) : null;
  const first = stopped[0];
  // The outcome and the events telling of it are one write: no kill can leave one without the
  // other.
  const change = (s: State): Told => {
    const said: Said[] = [];
    const e = entryOf(s, p);
    e.attempt = null;
    e.backoff = null;
    attempt.hosts.forEach((host, i) => {
      const outcome = outcomes[i];
      const h = (e.hosts[host] ??= emptyHost());
      if (outcome?.kind !== "success") {
        h.reply = outcome === undefined
          ? null
          : `${outcome.code}${outcome.detail ? ` ${outcome.detail}` : ""}`;
        // A request without reply went before this refused one: the host may hold its addresses.
        if (unsettled?.hosts.includes(host)) h.sent = null;
        return;
      }
      const confirmed = byFamily(outcome.ips);
      h.sent = merge(h.sent, attempt.sent);
      // A family the request without reply carried and this one did not stays unknown there.
      for (const f of ["ipv4", "ipv6"] as const) {
        const before = unsettled?.hosts.includes(host) ? unsettled.sent[f] : null;
        if (attempt.sent[f] === null && before !== null && before !== h.sent[f]) h.sent[f] = null;
      }
      h.confirmed = merge(h.confirmed, confirmed);
      h.reply = `${outcome.code} ${outcome.ips.join(",")}`;
      h.success = now;
      said.push({ level: "info", text: say.confirmed(p, host, outcome.code, outcome.ips) });
      const differs = (["ipv4", "ipv6"] as const).some((f) =>
        confirmed[f] !== null && attempt.sent[f] !== null && confirmed[f] !== attempt.sent[f]
      );
      if (differs) {
        said.push({ level: "warn", text: say.otherAddress(p, host, attempt.sent, confirmed) });
      }
    });
    e.wait = null;
    const events: EventInput[] = [];
    if (confirmed?.kind === "success") {
      const hosts = good.map((i) => attempt.hosts[i]!);
      events.push({
        ...event,
        kind: "updated",
        hosts,
        addresses: confirmed.ips,
        reply: "good",
        message: say.updated(p, hosts, confirmed.ips),
      });
    }
    if (first === undefined && waited?.kind === "wait" && until !== null) {
      e.wait = { code: waited.code, from: now, ms: waited.waitMs };
      const message = say.waiting(p, waited.code, until, waited.detail);
      events.push({ ...event, kind: "waiting", hosts: attempt.hosts, reply: waited.code, message });
      said.push({ level: "warn", text: message });
    }
    return { events, said };
  };
  if (first !== undefined) {
    const code = first.o.code;
    const hosts = first.o.kind === "stop" && first.o.scope === "account"
      ? []
      : stopped.filter((x) => x.o.code === code).map((x) => x.host);
    const detail = first.o.kind === "stop" ? first.o.detail : undefined;
    const message = say.stopped(p, { code, hosts }, ctx.configPath, detail);
    const named = { providerType: p.configType, hosts: hosts.length > 0 ? hosts : attempt.hosts };
    await recordStop(ctx, p, { code, hosts, at: now.at, event: named, message }, change);
    for (const other of new Set(stopped.map((x) => x.o.code))) {
      if (other === code) continue;
      const hosts = stopped.filter((x) => x.o.code === other).map((x) => x.host);
      ctx.log.error(say.stopped(p, { code: other, hosts }, ctx.configPath));
    }
    return { kind: "stopped" };
  }
  await recordOutcome(ctx, p, change);
  return { kind: until === null ? "ok" : "waiting" };
}

/** Runs DynDNS2 provider `p`'s rounds (see {@link runHosts}). */
export function runDyndns2(
  ctx: Context,
  p: Dyndns2Provider,
  stopping: Stopping,
): Promise<RoundEnd> {
  return runHosts(ctx, dyndns2Account(p), stopping);
}

/** Runs rounds every `intervalMs` until `stopping` says so, or until `p` is stopped. */
export function runHosts(
  ctx: Context,
  p: HostsAccount,
  stopping: Stopping,
): Promise<RoundEnd> {
  return runRounds(
    ctx,
    p,
    stopping,
    (signal) => hostsRound(ctx, p, signal),
    (end) => ctx.notify.round(p, p.configType, end),
  );
}

/**
 * Runs `round` every `p.intervalMs` until `stopping` says so, or until `p` is stopped; `told`
 * hears how each round ended (the notifier's `round`).
 */
export async function runRounds(
  ctx: Context,
  p: Machinery,
  stopping: Stopping,
  round: (signal: AbortSignal) => Promise<RoundEnd>,
  told: (end: RoundEnd) => Promise<void>,
): Promise<RoundEnd> {
  // Started again by a reload: the next round comes when the interval says, not at once.
  const last = ctx.lastRounds.get(p.key);
  if (last !== undefined) await untilNextRound(ctx, p, stopping, last);
  while (!stopping.stop.aborted) {
    const started = ctx.clock.mono();
    ctx.lastRounds.set(p.key, started);
    const end = await round(stopping.abort);
    await told(end);
    if (end.kind === "aborted" || end.kind === "stopped") return end;
    await untilNextRound(ctx, p, stopping, started);
  }
  return { kind: "aborted" };
}

/**
 * Waits for the round after the one that started at `started`: one interval later, or sooner when
 * a look is asked meanwhile (see `daemon/looks.ts`: after the burst settles, and never within
 * {@link LOOK_GAP_MS} of `started`).
 */
async function untilNextRound(
  ctx: Context,
  p: Machinery,
  stopping: Stopping,
  started: number,
): Promise<void> {
  let wake = started + p.intervalMs;
  let looked = false;
  const look = () => {
    looked = true;
    wake = Math.min(wake, Math.max(ctx.clock.mono() + LOOK_SETTLE_MS, started + LOOK_GAP_MS));
    ctx.log.debug(
      `${p.label} "${p.name}": asked to look; the next round comes at ${wallAt(wake, ctx.clock)}.`,
    );
  };
  // Asked while this round ran: it may have looked too early.
  if ((ctx.looks.lastAt ?? -Infinity) >= started) look();
  while (!stopping.stop.aborted && ctx.clock.mono() < wake) {
    const asked = ctx.looks.asked;
    await ctx.clock.sleep(wake - ctx.clock.mono(), AbortSignal.any([stopping.stop, asked]));
    if (!looked && asked.aborted) look();
  }
}

function byFamily(ips: readonly string[]): Addresses {
  const out: Addresses = { ipv4: null, ipv6: null };
  for (const ip of ips) out[ip.includes(":") ? "ipv6" : "ipv4"] = ip;
  return out;
}

/**
 * Whether host `h` of `send` needs the addresses `a` (of one family) sent: unless only its address
 * of another family changed, or (a retry) the request without reply was of another family and
 * this one's address is confirmed already.
 */
function needs(entry: Dyndns2State, send: Send, h: string, a: Addresses): boolean {
  const reason = send.reasons[h];
  if (reason !== "changed" && reason !== "retry") return true;
  const sent = entry.hosts[h]?.sent ?? null;
  const attempt = reason === "retry" ? entry.attempt?.sent ?? null : null;
  return (["ipv4", "ipv6"] as const).some((f) => {
    const before = sent?.[f] ?? null;
    return a[f] !== null &&
      (a[f] !== before || (attempt !== null && attempt[f] !== null && attempt[f] !== before));
  });
}

/** `a` as one set of addresses per family it has (itself when it has none). */
function perFamily(a: Addresses): Addresses[] {
  const each = [{ ipv4: a.ipv4, ipv6: null }, { ipv4: null, ipv6: a.ipv6 }];
  const some = each.filter((x) => x.ipv4 !== null || x.ipv6 !== null);
  return some.length > 0 ? some : [a];
}

function familyName(family: IpFamily): string {
  return family === "ipv4" ? "IPv4" : "IPv6";
}
