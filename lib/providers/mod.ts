/**
 * The kinds of provider, as one table: what the daemon, `once`, `status` and `check` do with a
 * provider they take from here, never by testing its type themselves. A DynDNS2 service is not a
 * kind but a profile of the `dyndns2` kind (`dyndns2/profiles.ts`); a new protocol is a new row.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { DynamipProvider, Dyndns2Provider, Provider } from "../config/types.ts";
import type { Context, RoundEnd, Stopping } from "../context.ts";
import { beatOnce, runHeartbeat } from "./dynamip/heartbeat.ts";
import { describeDynamip, dynamipStatus } from "./dynamip/report.ts";
import { BEAT_PERIOD_MS } from "./dynamip/schedule.ts";
import { describeDyndns2, dyndns2Status } from "./dyndns2/report.ts";
import { dyndns2Round, runDyndns2 } from "./dyndns2/round.ts";
import { serverDomains } from "../net/detect.ts";
import { formatDuration } from "../config/duration.ts";
import type { IpFamily } from "../net/ip.ts";
import type { DnsView, ProviderStatus } from "./report.ts";
import type { State } from "../state/mod.ts";

/** What dnsbeat does with one kind of provider. */
interface Kind<P extends Provider> {
  /** Its loop in the daemon. */
  loop(ctx: Context, p: P, stopping: Stopping): Promise<RoundEnd>;
  /** One round, for `dnsbeat once`. */
  once(ctx: Context, p: P, signal: AbortSignal): Promise<RoundEnd>;
  /** Its part of `dnsbeat status`. */
  status(
    p: P,
    state: Readonly<State>,
    configPath: string,
    timeoutMs: number,
    clock: Clock,
    dns: DnsView,
  ): ProviderStatus;
  /** The hosts' records `status` shows what DNS answers for. */
  records(p: P): { hostname: string; family: IpFamily }[];
  /** Its config `"type"` (a DynDNS2 provider's service), as notifications name it. */
  type(p: P): string;
  /** Its line in `dnsbeat check`. */
  describe(p: P): string;
  /** Its service and how often it is looked after, for the daemon's first line. */
  schedule(p: P): string;
  /**
   * The domains no detection may ask while it is stopped: its server's host and its service's
   * own detection service (No-IP forbids using it then; dnsbeat does the same for every service).
   */
  detection(p: P): readonly string[];
}

const DYNDNS2: Kind<Dyndns2Provider> = {
  loop: runDyndns2,
  once: dyndns2Round,
  status: (p, state, configPath, _timeoutMs, clock, dns) => {
    const entry = state.providers[p.key];
    return dyndns2Status(p, entry?.type === "dyndns2" ? entry : null, configPath, clock, dns);
  },
  records: (p) =>
    p.hostnames.flatMap((hostname) => p.families.map((family) => ({ hostname, family }))),
  type: (p) => p.profile.type,
  describe: describeDyndns2,
  schedule: (p) => `${p.profile.label}, every ${formatDuration(p.intervalMs)}`,
  // A service that names no detection domains (any DynDNS2 server) withholds the server's
  // registrable domain, where its detection service most likely lives.
  detection: (p) => [
    ...p.profile.detection,
    ...serverDomains(p.server, p.profile.detection.length === 0),
  ],
};

const DYNAMIP: Kind<DynamipProvider> = {
  loop: runHeartbeat,
  once: beatOnce,
  status: (p, state, configPath, timeoutMs, clock) => {
    const entry = state.providers[p.key];
    return dynamipStatus(
      p,
      entry?.type === "dynamip" ? entry : null,
      configPath,
      timeoutMs,
      clock,
    );
  },
  records: () => [],
  type: () => "dynamip",
  describe: describeDynamip,
  schedule: () => `DynamIP, every ${formatDuration(BEAT_PERIOD_MS)}`,
  detection: (p) => serverDomains(p.server, false),
};

/** The kind of `p`, typed for it. */
export function kindOf(p: Provider): Kind<Provider> {
  return (p.kind === "dyndns2" ? DYNDNS2 : DYNAMIP) as Kind<Provider>;
}
