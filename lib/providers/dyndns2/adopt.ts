/**
 * A lost state never becomes a `nochg`. A host without a record in the state (a new install, a
 * wiped flash, a state file deleted by hand) would otherwise be sent at once, and when the service
 * already has the address its answer is `nochg`, which No-IP counts as abuse when repeated. So
 * before a host's first update, DNS is asked what it answers for the host: when it answers exactly
 * the detected address for every detected family, the host is recorded as up to date and nothing
 * is sent for it.
 *
 * DNS answers what resolvers cached, at most the service's TTL old: a record changed by something
 * else within that time can be taken for current. The next address change corrects it.
 *
 * @module
 */
import type { HostsAccount } from "./account.ts";
import type { Context } from "../../context.ts";
import { recordOutcome } from "../record.ts";
import { stamp } from "../../state/moment.ts";
import { type Addresses } from "../../state/mod.ts";
import { type Dyndns2State, emptyHost } from "./entry.ts";
import { inDns } from "./messages.ts";
import { requests, type Send } from "./plan.ts";
import { addressList } from "../../state/parts.ts";

/** What a host's `reply` says when dnsbeat found DNS already answering its address. */
const IN_DNS = "in DNS";

/**
 * The hosts of `send` that have no record yet and whose DNS answers already match the detected
 * addresses: recorded as up to date (one state write), and returned so that they are not sent.
 * A lookup that fails or answers anything else leaves the host to be sent.
 */
export async function adoptFromDns(
  ctx: Context,
  p: HostsAccount,
  send: Send,
  signal: AbortSignal,
): Promise<string[]> {
  const candidates = send.hosts.filter((host) => send.reasons[host] === "new");
  const known = (host: string): Addresses => {
    const out: Addresses = { ipv4: null, ipv6: null };
    for (const family of p.families) out[family] = send.addresses[host]?.[family] ?? null;
    return out;
  };
  const matches = await Promise.all(candidates.map(async (host) => {
    const want = known(host);
    for (const family of p.families) {
      if (want[family] === null) continue;
      const answers = await ctx.lookup(host, family, signal);
      if (answers === null || answers.length !== 1 || answers[0] !== want[family]) return false;
    }
    return true;
  }));
  const adopted = candidates.filter((_, i) => matches[i]);
  if (adopted.length === 0 || signal.aborted) return [];
  const now = stamp(ctx.clock);
  const addresses = Object.fromEntries(adopted.map((h) => [h, known(h)]));
  await recordOutcome(ctx, p, (s) => {
    const entry = s.providers[p.key] as Dyndns2State;
    for (const host of adopted) {
      const h = (entry.hosts[host] ??= emptyHost());
      h.sent = known(host);
      h.confirmed = known(host);
      h.reply = IN_DNS;
      h.success = now;
    }
    const groups = requests(adopted, addresses, Infinity);
    return {
      said: groups.map((g) => ({
        level: "info",
        text: inDns(p, g.hosts, addressList(g.addresses)),
      })),
    };
  });
  return adopted;
}
