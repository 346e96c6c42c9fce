/**
 * Upgrading the state files of older builds. A file of dnsbeat 0.1 (schema version 1, keyed by
 * provider name) becomes the current schema (keyed by identity): every stop, confirmed address,
 * wait and last beat of a provider that is still in the config is kept; entries whose name is no
 * longer in the config are dropped, and said so. A schema-2 file of a build that keyed a DynDNS2
 * account by its profile (`noip SERVER USER`) has those entries moved to the account's key.
 *
 * A stop keeps holding through an upgrade when the config is the one it was given under: its
 * fingerprint is compared the way the build that wrote it computed it, then replaced by this
 * build's.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { DynamipProvider, Dyndns2Provider, Provider } from "../config/types.ts";
import { dynamipFingerprint, dyndns2Fingerprint, providerKey } from "./identity.ts";
import { MINUTE } from "../config/duration.ts";
import { MAX_BACKOFF_MS } from "../backoff.ts";
import { type Moment, rebase, stamp } from "./moment.ts";
import { parseIp } from "../net/ip.ts";
import {
  type Addresses,
  type Backoff,
  emptyState,
  type LegacyDynamip,
  type LegacyNoip,
  type LegacyState,
  type LegacyStop,
  type State,
  type Stop,
} from "./mod.ts";
import { type DynamipState, emptyDynamip } from "../providers/dynamip/entry.ts";
import { type Dyndns2State, emptyDyndns2, emptyHost } from "../providers/dyndns2/entry.ts";

/** The wait version 1 kept as `retryNotBefore` lasted this long. */
const LEGACY_WAIT_MS = 30 * MINUTE;

/** The current-schema state of `legacy`, and one sentence per entry dropped. */
export async function upgradeState(
  legacy: LegacyState,
  providers: readonly Provider[],
  clock: Clock,
): Promise<{ state: State; notes: string[] }> {
  // Version 1 kept no boot: `adoptState` then treats its waits as of an unknown boot.
  const state: State = { ...emptyState(), boot: null };
  const notes: string[] = [];
  for (const [name, old] of Object.entries(legacy.providers)) {
    // Version 1 knew No-IP and DynamIP only.
    const p = providers.find((q): q is Dyndns2Provider | DynamipProvider =>
      q.name === name &&
      (old.type === "noip"
        ? q.kind === "dyndns2" && q.profile.configType === "noip"
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
    const entry = old.type === "noip"
      ? upgradeDyndns2(name, old, clock)
      : upgradeDynamip(name, old as LegacyDynamip, clock);
    if (entry.stop !== null && entry.stop.fingerprint === await legacyFingerprint(p)) {
      entry.stop.fingerprint = p.fingerprint;
    }
    state.providers[p.key] = entry;
  }
  return { state, notes };
}

/**
 * The fingerprint dnsbeat 0.1 gave provider `p`: of its `server` as the config writes it (only
 * trailing slashes removed; this build canonicalises it), and the No-IP type, the only DynDNS2
 * service it knew.
 */
function legacyFingerprint(p: Dyndns2Provider | DynamipProvider): Promise<string> {
  const server = p.serverAsWritten.replace(/\/+$/, "");
  return p.kind === "dyndns2"
    ? dyndns2Fingerprint({ ...p, server }, "noip")
    : dynamipFingerprint({ ...p, server });
}

/** The DynDNS2 profiles older builds named a DynDNS2 account's key and fingerprint by. */
const PROFILE_LABELS = ["noip", "dynu", "dyndns2"];

/**
 * The change that moves the entries older builds kept under a DynDNS2 profile's type (`noip
 * SERVER USER`) to the account's key, for the accounts of `providers`; null when there is none.
 * A stop whose fingerprint is the one the older build gave the config loaded now gets this
 * build's; another was given under other settings, and lifts as such. An older build that saw the
 * profile change kept the account twice: the entry with the latest stop is kept (else the one of
 * the profile in the config), with the waits, back-off and hosts only the other one has.
 */
export async function accountKeyChange(
  state: Readonly<State>,
  providers: readonly Provider[],
): Promise<((draft: State) => void) | null> {
  const moves: { p: Dyndns2Provider; old: Map<string, string> }[] = [];
  for (const p of providers) {
    if (p.kind !== "dyndns2") continue;
    const old = new Map<string, string>();
    for (const label of PROFILE_LABELS) {
      const key = providerKey(label, p.server, p.username);
      if (key !== p.key && state.providers[key]?.type === "dyndns2") {
        old.set(key, await dyndns2Fingerprint(p, label));
      }
    }
    if (old.size > 0) moves.push({ p, old });
  }
  if (moves.length === 0) return null;
  return (draft) => {
    for (const { p, old } of moves) {
      const found: [string, Dyndns2State][] = [];
      for (const key of [p.key, ...old.keys()]) {
        const entry = draft.providers[key];
        if (entry?.type !== "dyndns2") continue;
        if (entry.stop !== null && entry.stop.fingerprint === old.get(key)) {
          entry.stop.fingerprint = p.fingerprint;
        }
        found.push([key, entry]);
        delete draft.providers[key];
      }
      const latest = found.filter(([, e]) => e.stop !== null)
        .sort(([, a], [, b]) => Date.parse(b.stop!.at) - Date.parse(a.stop!.at))[0];
      const profile = providerKey(p.profile.configType, p.server, p.username);
      const [, kept] = latest ?? found.find(([key]) => key === profile) ?? found[0]!;
      for (const [, other] of found) {
        kept.wait ??= other.wait;
        kept.backoff ??= other.backoff;
        kept.attempt ??= other.attempt;
        kept.hosts = { ...other.hosts, ...kept.hosts };
      }
      draft.providers[p.key] = kept;
    }
  };
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
