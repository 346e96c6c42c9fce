/**
 * One Cloudflare round and the change-driven loop around it. The account machinery is the
 * DynDNS2 round's (`dyndns2/round.ts`, `dyndns2/plan.ts`): its entry in the state file is a
 * DynDNS2 account's, its gate, its back-off and its stop are the same, and so is the rule of what
 * is due (a host whose detected address is not the one last set). For each record due, the round
 * walks the API's steps (`protocol.ts`): the zone, the record, and only when the record holds
 * another address, the PATCH, written to the state before it leaves. A record that already holds
 * the address costs no change. Every error stops the whole provider until the user acts; HTTP 429
 * and 5xx wait at least 30 minutes; a request without reply counts as sent and backs off.
 *
 * @module
 */
import type { CloudflareProvider } from "../../config/types.ts";
import type { Context, RoundEnd, Stopping } from "../../context.ts";
import { noAddress, resumeHint, stateNotSaved, stillStopped } from "../../messages.ts";
import type { HttpResult } from "../../net/http.ts";
import type { IpFamily } from "../../net/ip.ts";
import { endAt, stamp } from "../../state/moment.ts";
import type { Addresses } from "../../state/mod.ts";
import { machineUserAgent } from "../dyndns2/account.ts";
import { type Attempt, type Dyndns2State, emptyHost } from "../dyndns2/entry.ts";
import {
  backOff,
  entryOf,
  gateLine,
  type Machinery,
  prepare,
  runRounds,
} from "../dyndns2/round.ts";
import { due, gate, type Hosts, merge } from "../dyndns2/plan.ts";
import { addressList } from "../../state/parts.ts";
import * as say from "./messages.ts";
import { LABEL } from "./messages.ts";
import {
  advance,
  type ApiReply,
  firstStep,
  type Job,
  maskOf,
  type Outcome,
  requestOf,
} from "./protocol.ts";

/** `p` as the account machinery sees it. */
function accountOf(p: CloudflareProvider): Machinery {
  return { key: p.key, name: p.name, label: LABEL, intervalMs: p.intervalMs };
}

/** `p` as the plan sees it: its records need no refresh. */
function hostsOf(p: CloudflareProvider): Hosts {
  return { hostnames: p.hostnames, families: p.families, forceRefreshMs: 0 };
}

/** One round for provider `p` (also what `dnsbeat once` runs). */
export async function cloudflareRound(
  ctx: Context,
  p: CloudflareProvider,
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
    else ctx.log.warn(noAddress(family === "ipv4" ? "IPv4" : "IPv6", found.problems));
  }
  if (addressList(detected).length === 0) return { kind: "failed" };

  const send = due(hostsOf(p), entry, detected, ctx.clock);
  if (send === null) {
    ctx.log.debug(
      `${LABEL} "${p.name}": address unchanged (${
        addressList(detected).join(", ")
      }); nothing sent.`,
    );
    return { kind: "ok" };
  }
  for (const host of send.hosts) {
    for (const family of p.families) {
      const ip = send.addresses[host]![family];
      if (ip === null || !needed(entryOf(ctx.store.state, p), host, family, ip)) continue;
      const end = await update(ctx, p, host, family, ip, signal);
      if (end.kind !== "ok") return end;
    }
  }
  return { kind: "ok" };
}

/**
 * Whether `host`'s record of `family` needs `ip`: it was last set to another address, or a
 * request for it got no reply.
 */
function needed(
  entry: Dyndns2State,
  host: string,
  family: IpFamily,
  ip: string,
): boolean {
  const attempt = entry.attempt;
  if (attempt?.hosts.includes(host) && attempt.sent[family] !== null) return true;
  return entry.hosts[host]?.sent?.[family] !== ip;
}

/** Walks the API's steps for one record; the PATCH is written down before it leaves. */
async function update(
  ctx: Context,
  p: CloudflareProvider,
  host: string,
  family: IpFamily,
  ip: string,
  signal: AbortSignal,
): Promise<RoundEnd> {
  const job: Job = {
    server: p.server,
    token: p.password,
    hostname: host,
    family,
    ip,
    zone: p.zone,
    userAgent: machineUserAgent(p.userAgentContact),
  };
  const mask = maskOf(p.password);
  const unsettled = entryOf(ctx.store.state, p).attempt;
  let step = firstStep(job);
  for (;;) {
    const request = requestOf(job, step);
    let attempt: Attempt | null = null;
    if (step.kind === "patch") {
      attempt = { at: stamp(ctx.clock), hosts: [host], sent: only(family, ip) };
      const written = attempt;
      try {
        await ctx.store.commit((s) => {
          const e = entryOf(s, p);
          // The request this one replaces may have reached Cloudflare: what its record holds is
          // unknown until a list tells (a record without an address set is due).
          const old = e.attempt;
          for (const other of old?.hosts ?? []) {
            for (const f of ["ipv4", "ipv6"] as const) {
              const h = e.hosts[other];
              if (old!.sent[f] !== null && h?.sent && !(other === host && f === family)) {
                h.sent = { ...h.sent, [f]: null };
              }
            }
          }
          e.attempt = written;
        });
      } catch (e) {
        ctx.log.error(stateNotSaved(p.name, e instanceof Error ? e.message : String(e)));
        return { kind: "failed" };
      }
    }
    ctx.log.debug(`${LABEL} "${p.name}": ${request.method} ${request.url}`);
    const result = await ctx.httpGet({ ...request, signal });
    const reply = replyOf(result);
    if (reply === "aborted") return { kind: "aborted" };
    if (reply.kind === "unreached") {
      return await backOff(ctx, accountOf(p), reply.reason, null, unsettled);
    }
    if (reply.kind === "failed") {
      // A GET that got no reply changed nothing: it only backs off.
      return await backOff(ctx, accountOf(p), reply.reason, attempt, attempt ? null : unsettled);
    }
    const next = advance(job, step, reply.reply, mask);
    if (next.kind === "next") {
      step = next.step;
      continue;
    }
    return await settle(ctx, p, { host, family, ip }, next);
  }
}

/** The HTTP outcome as the protocol reads it: a reply (a refused redirect is one), or no reply. */
function replyOf(
  result: HttpResult,
):
  | "aborted"
  | { kind: "unreached"; reason: string }
  | { kind: "failed"; reason: string }
  | { kind: "reply"; reply: ApiReply } {
  switch (result.kind) {
    case "aborted":
      return "aborted";
    case "unreached":
      return { kind: "unreached", reason: result.reason };
    case "failed":
      return { kind: "failed", reason: result.reason };
    case "redirect-refused":
      return { kind: "reply", reply: { status: result.status, body: "" } };
    case "reply":
      return {
        kind: "reply",
        reply: { status: result.status, body: result.body, retryAfter: result.retryAfter ?? null },
      };
  }
}

/** Records how one record's update ended, with the event that tells of it, in one write. */
async function settle(
  ctx: Context,
  p: CloudflareProvider,
  { host, family, ip }: { host: string; family: IpFamily; ip: string },
  outcome: Outcome,
): Promise<RoundEnd> {
  const now = stamp(ctx.clock);
  const event = { provider: p.name, providerType: "cloudflare", time: now.at, hosts: [host] };
  const events: ReturnType<typeof ctx.notify.stage>[] = [];
  let message = "";
  const saved = await ctx.store.record((s) => {
    const e = entryOf(s, p);
    // The record's state is known now: a request for it without reply is settled.
    if (e.attempt?.hosts.includes(host) && e.attempt.sent[family] !== null) e.attempt = null;
    e.backoff = null;
    e.wait = null;
    const h = (e.hosts[host] ??= emptyHost());
    switch (outcome.kind) {
      case "updated":
      case "nochange": {
        h.sent = merge(h.sent, only(family, ip));
        h.confirmed = merge(h.confirmed, only(family, ip));
        h.reply = outcome.kind === "updated" ? `updated ${ip}` : `unchanged ${ip}`;
        h.success = now;
        if (outcome.kind === "updated") {
          message = say.updated(p, host, family, ip, outcome.was);
          events.push(ctx.notify.stage(s, {
            ...event,
            kind: "updated",
            addresses: [ip],
            reply: "updated",
            message,
          }));
        } else message = say.unchanged(p, host, family, ip);
        return;
      }
      case "stop": {
        h.reply = outcome.code;
        e.stop = { code: outcome.code, hosts: [host], at: now.at, fingerprint: p.fingerprint };
        message = say.stopped(p, e.stop, ctx.configPath, outcome.detail);
        events.push(ctx.notify.stage(s, {
          ...event,
          kind: "stopped",
          reply: outcome.code,
          message,
          action: `Fix the cause named above, ${resumeHint(p.name, ctx.configPath)}`,
        }));
        return;
      }
      case "wait": {
        h.reply = outcome.code;
        e.wait = { code: outcome.code, from: now, ms: outcome.waitMs };
        message = say.waiting(
          p,
          outcome.code,
          endAt(now, outcome.waitMs, ctx.clock),
          outcome.detail,
        );
        events.push(ctx.notify.stage(s, {
          ...event,
          kind: "waiting",
          reply: outcome.code,
          message,
        }));
        return;
      }
    }
  });
  if (!saved) ctx.log.error(stateNotSaved(p.name, ctx.store.failing ?? "unknown error"));
  ctx.notify.send(events);
  switch (outcome.kind) {
    case "updated":
      ctx.log.info(message);
      return { kind: "ok" };
    case "nochange":
      ctx.log.info(message);
      return { kind: "ok" };
    case "stop":
      ctx.log.error(message);
      return { kind: "stopped" };
    case "wait":
      ctx.log.warn(message);
      return { kind: "waiting" };
  }
}

/** `ip` in its family's place, nothing in the other. */
function only(family: IpFamily, ip: string): Addresses {
  return family === "ipv4" ? { ipv4: ip, ipv6: null } : { ipv4: null, ipv6: ip };
}

/** Runs rounds every `intervalMs` until `stopping` says so, or until `p` is stopped. */
export function runCloudflare(
  ctx: Context,
  p: CloudflareProvider,
  stopping: Stopping,
): Promise<RoundEnd> {
  return runRounds(
    ctx,
    accountOf(p),
    stopping,
    (signal) => cloudflareRound(ctx, p, signal),
    (end) => ctx.notify.round(p, "cloudflare", end),
  );
}
