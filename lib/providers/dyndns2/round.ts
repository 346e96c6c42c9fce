/**
 * One DynDNS2 round and the change-driven loop around it, for any service profile. A round asks
 * {@link gate} whether the account may send at all, detects the address, asks {@link due} which
 * hosts need it (hosts without a record first ask DNS, {@link adoptFromDns}), writes the attempt to the state, sends it (at most the profile's `maxHosts` a
 * request), and records the server's answer before anything else happens. Every error stops the
 * whole provider; a request whose answer never came counts as sent and starts the back-off.
 *
 * @module
 */
import type { Dyndns2Provider } from "../../config/types.ts";
import type { Context, RoundEnd, Stopping } from "../../context.ts";
import { type IpFamily } from "../../net/ip.ts";
import { noAddress, resumeHint, stateNotSaved, stillStopped } from "../../messages.ts";
import * as say from "./messages.ts";
import { endAt, stamp } from "../../state/moment.ts";
import { quoted } from "../../log/snippet.ts";
import { type Addresses, type Attempt, emptyHost, type Stop } from "../../state/mod.ts";
import { VERSION } from "../../version.ts";
import { type Account, backOff, entryOf, gateLine, prepare, runRounds } from "./account.ts";
import { adoptFromDns } from "./adopt.ts";
import { due, gate, listOf, merge, requests } from "./plan.ts";
import { buildRequest, maskOf, type Outcome, parseResponse, userAgent } from "./protocol.ts";

/**
 * The User-Agent DynDNS2 services require, for this machine: No-IP's rule
 * `NameOfUpdateProgram/VersionNumber maintainercontact@domain.com` (see `config/contact.ts`), with
 * `contact` (the config's `userAgentContact`) as its last field.
 */
export function machineUserAgent(contact: string): string {
  let release: string | null = null;
  try {
    release = Deno.osRelease();
  } catch {
    release = null;
  }
  return userAgent(Deno.build.os, Deno.build.arch, release, VERSION, contact);
}

/** One round for provider `p` (also what `dnsbeat once` runs). */
export async function dyndns2Round(
  ctx: Context,
  p: Dyndns2Provider,
  signal: AbortSignal,
): Promise<RoundEnd> {
  const entry = await prepare(ctx, accountOf(p));
  const open = gate(entry, ctx.clock);
  if (open.kind === "stopped") {
    ctx.log.error(stillStopped(p.name, open.stop.at, say.stopped(p, open.stop, ctx.configPath)));
    return { kind: "stopped" };
  }
  if (open.kind === "waiting") {
    ctx.log.info(gateLine(ctx, accountOf(p), open));
    return { kind: "waiting" };
  }

  const detected: Addresses = { ipv4: null, ipv6: null };
  for (const family of p.families) {
    const found = await ctx.detect(family, signal);
    if (signal.aborted) return { kind: "aborted" };
    if (found.kind === "found") detected[family] = found.ip;
    else ctx.log.warn(noAddress(familyName(family), found.problems));
  }
  if (listOf(detected).length === 0) return { kind: "failed" };

  const wanted = due(p, entry, detected, ctx.clock);
  const adopted = wanted === null ? [] : await adoptFromDns(ctx, p, wanted, signal);
  if (signal.aborted) return { kind: "aborted" };
  const send = wanted && { ...wanted, hosts: wanted.hosts.filter((h) => !adopted.includes(h)) };
  if (send === null || send.hosts.length === 0) {
    ctx.log.debug(
      `${p.profile.label} "${p.name}": address unchanged (${
        listOf(detected).join(", ")
      }); nothing sent.`,
    );
    return { kind: "ok" };
  }

  // Hosts with the same addresses together, at most the service's `maxHosts` a request; a
  // request that does not end well ends the round.
  for (const request of requests(send.hosts, send.addresses, p.profile.maxHosts)) {
    const end = await update(ctx, p, request.hosts, request.addresses, signal);
    if (end.kind !== "ok") return end;
  }
  return { kind: "ok" };
}

/** Sends one request for `hosts` with `addresses`, written down first, and settles its reply. */
async function update(
  ctx: Context,
  p: Dyndns2Provider,
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
  } catch (e) {
    ctx.log.error(stateNotSaved(p.name, e instanceof Error ? e.message : String(e)));
    return { kind: "failed" };
  }
  const request = buildRequest(p.profile, {
    server: p.server,
    username: p.username,
    password: p.password,
    hostnames: hosts,
    ipv4: addresses.ipv4 ?? undefined,
    ipv6: addresses.ipv6 ?? undefined,
    userAgent: machineUserAgent(p.userAgentContact),
  });
  ctx.log.debug(
    `${p.profile.label} "${p.name}": sending ${hosts.join(", ")} → ${
      listOf(addresses).join(", ")
    }.`,
  );
  const result = await ctx.httpGet({ url: request.url, headers: request.headers, signal });
  // A server may echo the request: its credentials must not reach a message, even in part.
  const mask = maskOf(p.username, p.password);
  switch (result.kind) {
    case "aborted":
      // The attempt stays in the state: the next start counts it as sent and backs off.
      return { kind: "aborted" };
    case "unreached":
      return await backOff(ctx, accountOf(p), result.reason, null, unsettled);
    case "failed":
      return await backOff(ctx, accountOf(p), result.reason, attempt, null);
    case "redirect-refused":
      ctx.log.warn(
        `${p.profile.label} "${p.name}": ${result.reason} (to ${quoted(result.location, mask)}).`,
      );
      return await settle(
        ctx,
        p,
        { attempt, unsettled },
        parseResponse(p.profile, { status: result.status, body: "" }, hosts, mask),
      );
    case "reply":
      return await settle(
        ctx,
        p,
        { attempt, unsettled },
        parseResponse(p.profile, result, hosts, mask),
      );
  }
}

/** Records the server's answer to `attempt` and says what came of it. */
async function settle(
  ctx: Context,
  p: Dyndns2Provider,
  { attempt, unsettled }: { attempt: Attempt; unsettled: Attempt | null },
  outcomes: Outcome[],
): Promise<RoundEnd> {
  ctx.log.debug(
    `${p.profile.label} "${p.name}": reply codes ${
      outcomes.map((o, i) => `${attempt.hosts[i]} ${o.code}`).join(", ")
    }.`,
  );
  const now = stamp(ctx.clock);
  const said: (() => void)[] = [];
  const stopped = outcomes.flatMap((o, i) =>
    o.kind === "stop" ? [{ o, host: attempt.hosts[i]! }] : []
  );
  const waited = outcomes.find((o) => o.kind === "wait");
  const event = { provider: p.name, providerType: p.profile.type, time: now.at };
  const good = outcomes.flatMap((o, i) => o.kind === "success" && o.code === "good" ? [i] : []);
  const confirmed = outcomes[good[0] ?? -1];
  const until = waited?.kind === "wait" ? endAt(now, waited.waitMs, ctx.clock) : null;
  // The outcome and the events telling of it are one write: no kill can leave one without the
  // other.
  const events: ReturnType<typeof ctx.notify.stage>[] = [];
  const saved = await ctx.store.record((s) => {
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
      said.push(() => ctx.log.info(say.confirmed(p, host, outcome.code, outcome.ips)));
      const differs = (["ipv4", "ipv6"] as const).filter((f) =>
        confirmed[f] !== null && attempt.sent[f] !== null && confirmed[f] !== attempt.sent[f]
      );
      if (differs.length > 0) {
        said.push(() => ctx.log.warn(say.otherAddress(p, host, attempt.sent, confirmed)));
      }
    });
    e.wait = null;
    if (confirmed?.kind === "success") {
      const hosts = good.map((i) => attempt.hosts[i]!);
      events.push(ctx.notify.stage(s, {
        ...event,
        kind: "updated",
        hosts,
        addresses: confirmed.ips,
        reply: "good",
        message: say.updated(p, hosts, confirmed.ips),
      }));
    }
    const first = stopped[0];
    if (first !== undefined) {
      const code = first.o.code;
      const hosts = first.o.kind === "stop" && first.o.scope === "account"
        ? []
        : stopped.filter((x) => x.o.code === code).map((x) => x.host);
      e.stop = { code, hosts, at: now.at, fingerprint: p.fingerprint };
      events.push(ctx.notify.stage(s, {
        ...event,
        kind: "stopped",
        hosts: hosts.length > 0 ? hosts : attempt.hosts,
        reply: code,
        message: stopMessage(p, e.stop, first.o, ctx.configPath),
        action: `Fix the cause named above, ${resumeHint(p.name, ctx.configPath)}`,
      }));
    } else if (waited?.kind === "wait" && until !== null) {
      e.wait = { code: waited.code, from: now, ms: waited.waitMs };
      events.push(ctx.notify.stage(s, {
        ...event,
        kind: "waiting",
        hosts: attempt.hosts,
        reply: waited.code,
        message: say.waiting(p, waited.code, until, waited.detail),
      }));
    }
  });
  for (const say of said) say();
  const e = entryOf(ctx.store.state, p);
  if (!saved) ctx.log.error(stateNotSaved(p.name, ctx.store.failing ?? "unknown error"));
  ctx.notify.send(events);
  if (e.stop !== null && stopped.length > 0) {
    ctx.log.error(stopMessage(p, e.stop, stopped[0]!.o, ctx.configPath));
    for (const other of new Set(stopped.map((x) => x.o.code))) {
      if (other === e.stop.code) continue;
      const hosts = stopped.filter((x) => x.o.code === other).map((x) => x.host);
      ctx.log.error(say.stopped(p, { ...e.stop, code: other, hosts }, ctx.configPath));
    }
    return { kind: "stopped" };
  }
  if (waited?.kind === "wait" && until !== null) {
    ctx.log.warn(say.waiting(p, waited.code, until, waited.detail));
    return { kind: "waiting" };
  }
  return { kind: "ok" };
}

/** What a stop says, with the detail of the reply that gave it (the log and its event alike). */
function stopMessage(p: Dyndns2Provider, stop: Stop, outcome: Outcome, configPath: string): string {
  return say.stopped(p, stop, configPath, outcome.kind === "stop" ? outcome.detail : undefined);
}

/** Runs rounds every `intervalMs` until `stopping` says so, or until `p` is stopped. */
export function runDyndns2(
  ctx: Context,
  p: Dyndns2Provider,
  stopping: Stopping,
): Promise<RoundEnd> {
  return runRounds(
    ctx,
    accountOf(p),
    stopping,
    (signal) => dyndns2Round(ctx, p, signal),
    (end) => ctx.notify.round(p, p.profile.type, end),
  );
}

/** `p` as the account machinery sees it. */
function accountOf(p: Dyndns2Provider): Account {
  return { key: p.key, name: p.name, label: p.profile.label, intervalMs: p.intervalMs };
}

function byFamily(ips: readonly string[]): Addresses {
  const out: Addresses = { ipv4: null, ipv6: null };
  for (const ip of ips) out[ip.includes(":") ? "ipv6" : "ipv4"] = ip;
  return out;
}

function familyName(family: IpFamily): string {
  return family === "ipv4" ? "IPv4" : "IPv6";
}
