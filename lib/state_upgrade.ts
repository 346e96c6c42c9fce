/**
 * Upgrading a state file of dnsbeat 0.1 (schema version 1, keyed by provider name) to the current
 * schema (keyed by identity). Every stop, confirmed address, wait and last beat of a provider that
 * is still in the config is kept; entries whose name is no longer in the config are dropped, and
 * said so.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import type { Provider } from "./config_types.ts";
import { MINUTE } from "./duration.ts";
import { MAX_BACKOFF_MS } from "./backoff.ts";
import { type Moment, rebase, stamp } from "./moment.ts";
import { parseIp } from "./ip.ts";
import {
  type Addresses,
  type Backoff,
  type DynamipState,
  type Dyndns2State,
  emptyDynamip,
  emptyDyndns2,
  emptyHost,
  emptyState,
  type LegacyDynamip,
  type LegacyNoip,
  type LegacyState,
  type LegacyStop,
  type State,
  type Stop,
} from "./state.ts";

/** The wait version 1 kept as `retryNotBefore` lasted this long. */
const LEGACY_WAIT_MS = 30 * MINUTE;

/** The current-schema state of `legacy`, and one sentence per entry dropped. */
export function upgradeState(
  legacy: LegacyState,
  providers: readonly Provider[],
  clock: Clock,
): { state: State; notes: string[] } {
  // Version 1 kept no boot: `adoptState` then treats its waits as of an unknown boot.
  const state: State = { ...emptyState(), boot: null };
  const notes: string[] = [];
  for (const [name, old] of Object.entries(legacy.providers)) {
    // Version 1 knew No-IP and DynamIP only.
    const p = providers.find((q) =>
      q.name === name &&
      (old.type === "noip"
        ? q.kind === "dyndns2" && q.profile.type === "noip"
        : q.kind === "dynamip")
    );
    if (p === undefined) {
      notes.push(
        `The state of provider "${name}" was dropped while upgrading the state file: no ${
          old.type === "noip" ? "No-IP" : "DynamIP"
        } provider of that name is in the config.`,
      );
      continue;
    }
    state.providers[p.key] = old.type === "noip"
      ? upgradeDyndns2(name, old, clock)
      : upgradeDynamip(name, old as LegacyDynamip, clock);
  }
  return { state, notes };
}

function upgradeDyndns2(name: string, old: LegacyNoip, clock: Clock): Dyndns2State {
  const entry = emptyDyndns2(name);
  const stopped = Object.entries(old.hosts).filter(([, h]) => h.stop !== null);
  const first = stopped[0]?.[1].stop;
  if (first) entry.stop = stop(first, stopped.map(([host]) => host));
  for (const [host, h] of Object.entries(old.hosts)) {
    const addresses = h.lastIp === null ? null : byFamily(h.lastIp);
    entry.hosts[host] = {
      ...emptyHost(),
      sent: addresses,
      confirmed: addresses,
      reply: h.lastReply,
      success: h.lastSuccess === null ? null : moment(h.lastSuccess, clock),
    };
    const until = h.retryNotBefore === null ? NaN : Date.parse(h.retryNotBefore);
    // Kept whatever the wall clock says now: `adoptState` starts it again from now.
    if (!Number.isNaN(until) && entry.wait === null) {
      entry.wait = {
        code: h.lastReply ?? "911",
        from: moment(new Date(until - LEGACY_WAIT_MS).toISOString(), clock),
        ms: LEGACY_WAIT_MS,
      };
    }
  }
  entry.backoff = backoff(old.backoff, clock);
  return entry;
}

function upgradeDynamip(name: string, old: LegacyDynamip, clock: Clock): DynamipState {
  return {
    ...emptyDynamip(name),
    stop: old.stop === null ? null : stop(old.stop, []),
    backoff: backoff(old.backoff, clock),
    lastRequest: old.lastRequestAt === null
      ? null
      : { at: moment(old.lastRequestAt, clock), rttMs: null },
    lastBeat: old.lastBeat === null ? null : moment(old.lastBeat, clock),
    lastReply: old.lastReply,
    lastIp: old.lastIp,
    expiry: old.expiry,
    remainHours: old.remainHours,
    useAuto: old.useAuto,
  };
}

function stop(old: LegacyStop, hosts: string[]): Stop {
  return { code: old.code, hosts, at: old.at, fingerprint: old.fingerprint };
}

function backoff(old: { failures: number; until: string | null }, clock: Clock): Backoff | null {
  const until = old.until === null ? NaN : Date.parse(old.until);
  if (!(until > clock.now()) || old.failures < 1) return null;
  return {
    failures: old.failures,
    from: stamp(clock),
    ms: Math.min(until - clock.now(), MAX_BACKOFF_MS),
  };
}

function moment(at: string, clock: Clock): Moment {
  const m = { at, mono: 0 };
  rebase(m, clock);
  return m;
}

function byFamily(ips: readonly string[]): Addresses {
  const out: Addresses = { ipv4: null, ipv6: null };
  for (const text of ips) {
    const ip = parseIp(text);
    if (ip) out[ip.family] = ip.address;
  }
  return out;
}
