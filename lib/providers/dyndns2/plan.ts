/**
 * What a DynDNS2 round may do, decided from the account's state alone: the send-only-on-change and
 * stop-on-every-error rules, in one place. Pure: the state, the detected addresses and the time
 * come in, a decision goes out.
 *
 * - A stop holds every host of the account until the user acts (No-IP: "the client must not
 *   continue sending updates" after an error; Dyn: "any failed update attempt is fatal").
 * - A wait the server asked for (`911`) and a back-off hold the account for their length.
 * - A request whose outcome never came counts as sent; once its back-off passed, its hosts are
 *   sent again (the server may never have seen it).
 * - Otherwise a host is sent when, for a family that was detected this round, its address
 *   differs from the one last sent and accepted; a family not detected, or that the server did
 *   not echo back, is no change. And once `forceRefresh` passed since its last success.
 * - A host's address is the detected one, or for a device behind the router (an `ipv6HostId`)
 *   the detected IPv6 prefix plus its interface id: a new prefix changes it, nothing else does.
 *
 * @module
 */
import type { Clock } from "../../clock.ts";
import type { HostsAccount } from "./account.ts";
import { type IpFamily, withHostId } from "../../net/ip.ts";
import { left, since } from "../../state/moment.ts";
import type { Addresses, Stop } from "../../state/mod.ts";
import { type Dyndns2State } from "./entry.ts";

/**
 * What the plan needs of a provider: its hosts, its families, how often it sends anyway (a
 * Cloudflare provider, whose records need no refresh, with 0).
 */
export type Hosts = Pick<
  HostsAccount,
  "hostnames" | "families" | "ipv6HostIds" | "forceRefreshMs"
>;

/** Whether an account may send at all now. */
export type Gate =
  | { kind: "open" }
  | { kind: "stopped"; stop: Stop }
  /** `leftMs` more of a wait (`code` asked for it) or of a back-off (`code` null). */
  | { kind: "waiting"; leftMs: number; code: string | null };

/** The gate of `entry` now: a stop, else the longer of the wait and the back-off, else open. */
export function gate(entry: Dyndns2State, clock: Clock): Gate {
  if (entry.stop !== null) return { kind: "stopped", stop: entry.stop };
  const wait = entry.wait === null ? 0 : left(entry.wait.from, entry.wait.ms, clock);
  const backoff = entry.backoff === null ? 0 : left(entry.backoff.from, entry.backoff.ms, clock);
  if (wait === 0 && backoff === 0) return { kind: "open" };
  return wait >= backoff
    ? { kind: "waiting", leftMs: wait, code: entry.wait!.code }
    : { kind: "waiting", leftMs: backoff, code: null };
}

/**
 * Why a host is sent: its address changed, it has no record yet (first start, or a lost state),
 * `forceRefresh` passed, or an earlier request got no reply.
 */
export type Reason = "changed" | "new" | "refresh" | "retry";

/** What to send: these hosts, these addresses. */
export interface Send {
  /** The hosts, in the config's order. */
  hosts: string[];
  /** Per host, its addresses of the provider's families (null where not detected). */
  addresses: Record<string, Addresses>;
  /** Why, per host. */
  reasons: Record<string, Reason>;
}

/**
 * The addresses of `host` of `p` from the `detected` ones, of the provider's families only: the
 * detected ones, or the detected IPv6 prefix plus the host's `ipv6HostId` where it has one.
 */
export function hostAddresses(p: Hosts, host: string, detected: Addresses): Addresses {
  const out: Addresses = { ipv4: null, ipv6: null };
  for (const family of p.families) out[family] = detected[family];
  const id = p.ipv6HostIds?.[host];
  if (id !== undefined && out.ipv6 !== null) {
    out.ipv6 = withHostId(out.ipv6, id.prefixLength, id.id);
  }
  return out;
}

/**
 * `hosts` in requests: those with the same addresses together (a request sends one address per
 * family for all its hosts), at most `max` a request, in the config's order of first appearance.
 */
export function requests(
  hosts: readonly string[],
  addresses: Record<string, Addresses>,
  max: number,
): { hosts: string[]; addresses: Addresses }[] {
  const groups = new Map<string, { hosts: string[]; addresses: Addresses }>();
  for (const host of hosts) {
    const a = addresses[host]!;
    const key = `${a.ipv4} ${a.ipv6}`;
    const group = groups.get(key) ?? { hosts: [], addresses: a };
    group.hosts.push(host);
    groups.set(key, group);
  }
  return [...groups.values()].flatMap((g) => {
    const out = [];
    for (let i = 0; i < g.hosts.length; i += max) {
      out.push({ hosts: g.hosts.slice(i, i + max), addresses: g.addresses });
    }
    return out;
  });
}

/**
 * The hosts of `p` due now, given the `detected` addresses; null when none is. Call it only with
 * an open {@link gate}.
 */
export function due(
  p: Hosts,
  entry: Dyndns2State,
  detected: Addresses,
  clock: Clock,
): Send | null {
  const addresses: Record<string, Addresses> = {};
  const reasons: Record<string, Reason> = {};
  for (const host of p.hostnames) {
    const h = entry.hosts[host];
    const mine = addresses[host] = hostAddresses(p, host, detected);
    const attempt = entry.attempt;
    if (attempt?.hosts.includes(host) && resends(attempt.sent, mine, h?.sent ?? null)) {
      reasons[host] = "retry";
    } else if (changed(h?.sent ?? null, mine, p.families)) {
      reasons[host] = h?.sent ? "changed" : "new";
    } else if (
      p.forceRefreshMs > 0 && h?.success && since(h.success, clock) >= p.forceRefreshMs
    ) reasons[host] = "refresh";
  }
  const hosts = p.hostnames.filter((host) => reasons[host] !== undefined);
  return hosts.length === 0 ? null : { hosts, addresses, reasons };
}

/**
 * Whether a request whose reply never came (`attempt`) must be sent again with the `detected`
 * addresses: some detected address is not the one `sent` and confirmed before, or the attempt
 * may have changed it at the server. Otherwise the request would carry only addresses the server
 * certainly has (the attempt's family not detected this round): a needless `nochg`.
 */
function resends(attempt: Addresses, detected: Addresses, sent: Addresses | null): boolean {
  return (["ipv4", "ipv6"] as const).some((f) => {
    const before = sent?.[f] ?? null;
    return detected[f] !== null &&
      (detected[f] !== before || (attempt[f] !== null && attempt[f] !== before));
  });
}

/** True when a detected address of one of `families` differs from the one `sent`. */
export function changed(
  sent: Addresses | null,
  detected: Addresses,
  families: readonly IpFamily[],
): boolean {
  return families.some((f) => detected[f] !== null && detected[f] !== (sent?.[f] ?? null));
}

/** `sent` with the families of `update` that have an address replaced. */
export function merge(sent: Addresses | null, update: Addresses): Addresses {
  return {
    ipv4: update.ipv4 ?? sent?.ipv4 ?? null,
    ipv6: update.ipv6 ?? sent?.ipv6 ?? null,
  };
}
