/**
 * One No-IP round and the change-driven loop around it. A round detects the address, sends one
 * request for the hosts whose confirmed address differs (never for a stopped or waiting host),
 * and records the server's answer per host in the state file before anything else happens.
 *
 * @module
 */
import { backoffDelay } from "../backoff.ts";
import type { NoipProvider } from "../config_types.ts";
import type { Context, RoundEnd } from "../context.ts";
import type { IpFamily } from "../ip.ts";
import {
  noAddress,
  noipBackoff,
  noipConfirmed,
  noipOtherAddress,
  noipStopped,
  noipWaiting,
  stillStopped,
} from "../messages.ts";
import { createRedactor } from "../redact.ts";
import { type DynamipState, emptyHost, type HostState, iso, ms, type NoipState } from "../state.ts";
import { CONTACT, VERSION } from "../version.ts";
import {
  basicCredentials,
  buildRequest,
  type NoipOutcome,
  parseResponse,
  userAgent,
} from "./protocol.ts";

/** The User-Agent No-IP requires, for this machine. */
function machineUserAgent(): string {
  let release: string | null = null;
  try {
    release = Deno.osRelease();
  } catch {
    release = null;
  }
  return userAgent(Deno.build.os, Deno.build.arch, release, VERSION, CONTACT);
}

/** Makes sure the state has an entry for `p` with exactly its configured hosts. */
async function ensureNoipState(ctx: Context, p: NoipProvider): Promise<NoipState> {
  const current = ctx.store.state.providers[p.name];
  const fits = current?.type === "noip" &&
    p.hostnames.every((h) => current.hosts[h]) &&
    Object.keys(current.hosts).length === p.hostnames.length;
  if (!fits) {
    await ctx.store.update((s) => {
      const old = s.providers[p.name];
      const hosts: Record<string, HostState> = {};
      for (const h of p.hostnames) {
        hosts[h] = old?.type === "noip" && old.hosts[h] ? old.hosts[h] : emptyHost();
      }
      s.providers[p.name] = {
        type: "noip",
        hosts,
        backoff: old?.type === "noip" ? old.backoff : { failures: 0, until: null },
      };
    });
  }
  return ctx.store.state.providers[p.name] as NoipState;
}

/** True while any No-IP host in the state is stopped: No-IP's detection service is then off limits. */
function noipStopActive(providers: Record<string, NoipState | DynamipState>): boolean {
  return Object.values(providers).some((s) =>
    s.type === "noip" && Object.values(s.hosts).some((h) => h.stop !== null)
  );
}

/** One round for provider `p` (also what `dnsbeat once` runs). */
export async function noipRound(
  ctx: Context,
  p: NoipProvider,
  signal: AbortSignal,
): Promise<RoundEnd> {
  const state = await ensureNoipState(ctx, p);
  const now = ctx.clock.now();
  const stopped = p.hostnames.filter((h) => state.hosts[h]!.stop !== null);
  if (stopped.length === p.hostnames.length) {
    ctx.log.error(stillStopped(p.name, stopped, state.hosts[stopped[0]!]!.stop!.message));
    return { kind: "stopped" };
  }
  const active = p.hostnames.filter((h) => {
    const host = state.hosts[h]!;
    return host.stop === null && (ms(host.retryNotBefore) ?? 0) <= now;
  });
  const backoffUntil = ms(state.backoff.until) ?? 0;
  if (active.length === 0 || backoffUntil > now) {
    ctx.log.debug(`No-IP "${p.name}": waiting; nothing may be sent yet.`);
    return { kind: "ok" };
  }

  const detected: Partial<Record<IpFamily, string>> = {};
  const avoidNoip = noipStopActive(ctx.store.state.providers);
  for (const family of p.families) {
    const found = await ctx.detect(family, avoidNoip, signal);
    if (signal.aborted) return { kind: "aborted" };
    if (found.kind === "found") detected[family] = found.ip;
    else ctx.log.warn(noAddress(family === "ipv4" ? "IPv4" : "IPv6", found.problems));
  }
  const want = p.families.flatMap((f) => detected[f] ?? []);
  if (want.length === 0) return { kind: "failed" };

  const due = active.filter((h) => {
    const host = state.hosts[h]!;
    const stale = p.forceRefreshMs > 0 &&
      now - (ms(host.lastSuccess) ?? 0) >= p.forceRefreshMs;
    return stale || !sameAddresses(host.lastIp, want);
  });
  if (due.length === 0) {
    ctx.log.debug(`No-IP "${p.name}": address unchanged (${want.join(", ")}); nothing sent.`);
    return { kind: "ok" };
  }

  // Write-ahead: the attempt is on disk before the request leaves.
  await ctx.store.update((s) => {
    const entry = s.providers[p.name] as NoipState;
    for (const h of due) entry.hosts[h]!.lastAttempt = iso(now);
  });
  const request = buildRequest({
    server: p.server,
    username: p.username,
    password: p.password,
    hostnames: due,
    ipv4: detected.ipv4,
    ipv6: detected.ipv6,
    userAgent: machineUserAgent(),
  });
  ctx.log.debug(`No-IP "${p.name}": sending ${due.join(", ")} → ${want.join(", ")}.`);
  const result = await ctx.httpGet({ url: request.url, headers: request.headers, signal });
  switch (result.kind) {
    case "aborted":
      return { kind: "aborted" };
    case "unreached":
    case "failed":
      return await backOff(ctx, p, result.reason);
    case "redirect-refused":
      ctx.log.warn(`No-IP "${p.name}": ${result.reason} (to ${result.location}).`);
      return await apply(
        ctx,
        p,
        due,
        want,
        parseResponse({ status: result.status, body: "" }, due),
      );
    case "reply": {
      // A server may echo the request: its credentials must not reach a message, even in part.
      const mask = createRedactor([p.password, basicCredentials(p.username, p.password)]);
      return await apply(ctx, p, due, want, parseResponse(result, due, mask));
    }
  }
}

async function backOff(ctx: Context, p: NoipProvider, reason: string): Promise<RoundEnd> {
  const now = ctx.clock.now();
  const failures = (ctx.store.state.providers[p.name] as NoipState).backoff.failures + 1;
  const wait = backoffDelay(failures);
  await ctx.store.update((s) => {
    (s.providers[p.name] as NoipState).backoff = { failures, until: iso(now + wait) };
  });
  ctx.log.warn(noipBackoff(p, reason, wait, failures));
  return { kind: "failed" };
}

async function apply(
  ctx: Context,
  p: NoipProvider,
  hosts: string[],
  sent: string[],
  outcomes: NoipOutcome[],
): Promise<RoundEnd> {
  const retry = outcomes.find((o) => o.kind === "retry");
  if (retry?.kind === "retry") return await backOff(ctx, p, retry.reason);
  const now = ctx.clock.now();
  const stops = new Map<string, string[]>();
  const messages: (() => void)[] = [];
  let waited = false;
  await ctx.store.update((s) => {
    const entry = s.providers[p.name] as NoipState;
    entry.backoff = { failures: 0, until: null };
    hosts.forEach((h, i) => {
      const outcome = outcomes[i]!;
      const host = entry.hosts[h]!;
      if (outcome.kind === "success") {
        host.lastIp = outcome.ips;
        host.lastReply = `${outcome.code} ${outcome.ips.join(",")}`;
        host.lastSuccess = iso(now);
        host.retryNotBefore = null;
        messages.push(() => ctx.log.info(noipConfirmed(p, h, outcome.code, outcome.ips)));
        if (!sameAddresses(outcome.ips, sent)) {
          messages.push(() => ctx.log.warn(noipOtherAddress(h, sent, outcome.ips)));
        }
      } else if (outcome.kind === "stop") {
        host.lastReply = outcome.code;
        stops.set(outcome.code, [...(stops.get(outcome.code) ?? []), h]);
      } else if (outcome.kind === "wait") {
        waited = true;
        host.lastReply = outcome.code;
        host.retryNotBefore = iso(now + outcome.waitMs);
        if (i === 0 || outcome.scope === "host") {
          messages.push(() =>
            ctx.log.warn(noipWaiting(p, outcome.code, host.retryNotBefore!, outcome.detail))
          );
        }
      }
    });
    for (const [code, codeHosts] of stops) {
      const message = noipStopped(p, code, codeHosts, ctx.configPath);
      for (const h of codeHosts) {
        entry.hosts[h]!.stop = { code, message, at: iso(now), fingerprint: p.fingerprint };
      }
    }
  });
  for (const say of messages) say();
  for (const codeHosts of stops.values()) {
    const stop = (ctx.store.state.providers[p.name] as NoipState).hosts[codeHosts[0]!]!.stop!;
    ctx.log.error(stop.message);
  }
  return stops.size > 0 ? { kind: "stopped" } : waited ? { kind: "failed" } : { kind: "ok" };
}

/** Runs rounds every `intervalMs` until aborted, or until every host of `p` is stopped. */
export async function runNoip(
  ctx: Context,
  p: NoipProvider,
  signal: AbortSignal,
): Promise<RoundEnd> {
  while (!signal.aborted) {
    const started = ctx.clock.now();
    const end = await noipRound(ctx, p, signal);
    if (end.kind === "aborted") return end;
    const state = ctx.store.state.providers[p.name] as NoipState;
    if (Object.values(state.hosts).every((h) => h.stop !== null)) return { kind: "stopped" };
    const next = started + p.intervalMs;
    while (!signal.aborted && ctx.clock.now() < next) {
      // Capped so that a clock set back cannot stall the loop for longer than one interval.
      await ctx.clock.sleep(Math.min(next - ctx.clock.now(), p.intervalMs), signal);
      if (ctx.clock.now() < started) break;
    }
  }
  return { kind: "aborted" };
}

function sameAddresses(a: readonly string[] | null, b: readonly string[]): boolean {
  if (a === null || a.length !== b.length) return false;
  const sorted = [...a].sort();
  return [...b].sort().every((x, i) => x === sorted[i]);
}
