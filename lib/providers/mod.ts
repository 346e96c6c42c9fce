/**
 * The kinds of provider, as one table: what the config reader, the daemon, `once`, `status` and
 * `check` do with a provider they take from here, never by testing its kind themselves. A row
 * reads its config `"type"`s, runs its rounds, reports its status and names the detection hosts
 * its stop puts off limits; its state entry is a row of `entries.ts`. A DynDNS2 service is not a
 * kind but a profile of the `dyndns2` kind (`dyndns2/profiles.ts`); a new protocol is a new row.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type {
  CloudflareProvider,
  CustomProvider,
  DynamipProvider,
  Dyndns2Provider,
  Provider,
} from "../config/types.ts";
import type { Validator } from "../config/validate.ts";
import type { Context, RoundEnd, Stopping } from "../context.ts";
import { parseCloudflare } from "./cloudflare/config.ts";
import { LABEL as CLOUDFLARE_LABEL } from "./cloudflare/messages.ts";
import { CLOUDFLARE_DETECTION } from "./cloudflare/protocol.ts";
import { cloudflareStatus, describeCloudflare } from "./cloudflare/report.ts";
import { cloudflareRound, runCloudflare } from "./cloudflare/round.ts";
import { parseDynamip } from "./dynamip/config.ts";
import { beatOnce, runHeartbeat } from "./dynamip/heartbeat.ts";
import { describeDynamip, dynamipStatus, renderDynamip } from "./dynamip/report.ts";
import { BEAT_INTERVAL_MS, BEAT_PERIOD_MS } from "./dynamip/schedule.ts";
import { parseDyndns2 } from "./dyndns2/config.ts";
import { PROFILES } from "./dyndns2/profiles.ts";
import { describeDyndns2, dyndns2Status, hostsStatus, renderDyndns2 } from "./dyndns2/report.ts";
import { stopped } from "./dyndns2/messages.ts";
import { dyndns2Round, hostsRound, runDyndns2, runHosts } from "./dyndns2/round.ts";
import { customAccount } from "./custom/account.ts";
import { BUILTIN_KEYS, parseCustom, readUrlProvider } from "./custom/config.ts";
import { URL_SERVICES } from "./custom/services.ts";
import { describeCustom } from "./custom/report.ts";
import { serverDomains } from "../net/detect.ts";
import { formatDuration, MINUTE } from "../config/duration.ts";
import type { IpFamily } from "../net/ip.ts";
import type { DnsView, DynamipStatus, Dyndns2Status, ProviderStatus } from "./report.ts";
import type { State } from "../state/mod.ts";

/**
 * Reads a provider's entry at `prefix` (e.g. `providers[0]`) of the config; `contact`: the
 * User-Agent's, from the config's top level.
 */
type Reader<P> = (
  v: Validator,
  entry: Record<string, unknown>,
  prefix: string,
  contact: string,
) => Promise<P>;

/** What dnsbeat does with one kind of provider, `P`, whose status `S` reports. */
export interface Kind<P extends Provider, S extends ProviderStatus> {
  /** The config `"type"`s of this kind, each with its reader. */
  readers: Readonly<Record<string, Reader<P>>>;
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
  ): S;
  /** Its part of `dnsbeat status` as text for a person. */
  render(s: S): string[];
  /** The hosts' records `status` shows what DNS answers for. */
  records(p: P): { hostname: string; family: IpFamily }[];
  /** The hostnames it updates at its server: no other provider may update them there. */
  hostnames(p: P): readonly string[];
  /** Why the config refuses `p` (`providers[i]`) for the account `providers[first]` has. */
  duplicate(p: P, i: number, first: number): string;
  /** Its config `"type"` (a DynDNS2 provider's service), as notifications name it. */
  configType(p: P): string;
  /** Its line in `dnsbeat check`. */
  describe(p: P): string;
  /** Its service and how often it is looked after, for the daemon's first line. */
  schedule(p: P): string;
  /** Where each of its secrets came from, never a secret (`password from /etc/x.secret: …`). */
  secretSources(p: P): string[];
  /** The contact its requests' User-Agent names; null when they name none. */
  contact(p: P): string | null;
  /**
   * The domains no detection may ask while it is stopped: its server's host and its service's
   * own detection service (No-IP forbids using it then; dnsbeat does the same for every service).
   */
  detection(p: P): readonly string[];
}

const DYNDNS2: Kind<Dyndns2Provider, Dyndns2Status> = {
  readers: Object.fromEntries(
    Object.entries(PROFILES).map(([type, profile]) => [
      type,
      (v, entry, prefix, contact) => parseDyndns2(v, entry, prefix, profile, contact),
    ]),
  ),
  loop: runDyndns2,
  once: dyndns2Round,
  status: (p, state, configPath, _timeoutMs, clock, dns) => {
    const entry = state.providers[p.key];
    return dyndns2Status(p, entry?.type === "dyndns2" ? entry : null, configPath, clock, dns);
  },
  render: renderDyndns2,
  records: (p) =>
    p.hostnames.flatMap((hostname) => p.families.map((family) => ({ hostname, family }))),
  hostnames: (p) => p.hostnames,
  duplicate: (p, i, first) =>
    `providers[${i}]: the same account (${p.username} at ${p.server}) as providers[${first}]; put all its hostnames in one provider, they are sent together`,
  configType: (p) => p.profile.configType,
  describe: describeDyndns2,
  schedule: (p) => `${p.profile.label}, every ${formatDuration(p.intervalMs)}`,
  secretSources: (p) => [p.passwordSource],
  contact: (p) => p.userAgentContact,
  // A service that names no detection domains (any DynDNS2 server) withholds the server's
  // registrable domain, where its detection service most likely lives.
  detection: (p) => [
    ...p.profile.detection,
    ...serverDomains(p.server, p.profile.detection.length === 0),
  ],
};

const DYNAMIP: Kind<DynamipProvider, DynamipStatus> = {
  readers: { dynamip: (v, entry, prefix) => parseDynamip(v, entry, prefix) },
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
  render: renderDynamip,
  records: () => [],
  hostnames: () => [],
  duplicate: (p, i, first) =>
    `providers[${i}]: the same DynamIP site (${p.siteId} at ${p.server}) as providers[${first}]; two providers for one site would beat twice every ${
      BEAT_INTERVAL_MS / MINUTE
    } minutes, which gets its updates disallowed`,
  configType: () => "dynamip",
  describe: describeDynamip,
  schedule: () => `DynamIP, every ${formatDuration(BEAT_PERIOD_MS)}`,
  secretSources: (p) => [p.passwordSource],
  contact: () => null,
  detection: (p) => serverDomains(p.server, false),
};

const CUSTOM: Kind<CustomProvider, Dyndns2Status> = {
  // `custom`, which the user describes, and each built-in one-URL service, a fixed description.
  readers: {
    custom: parseCustom,
    ...Object.fromEntries(
      Object.entries(URL_SERVICES).map(([type, service]) => [
        type,
        (v, entry, prefix, contact) =>
          readUrlProvider(v, entry, prefix, contact, service, type, BUILTIN_KEYS),
      ]),
    ),
  },
  loop: (ctx, p, stopping) => runHosts(ctx, customAccount(p), stopping),
  once: (ctx, p, signal) => hostsRound(ctx, customAccount(p), signal),
  // Its state entry is a DynDNS2 account's: the same round keeps it.
  status: (p, state, configPath, _timeoutMs, clock, dns) => {
    const entry = state.providers[p.key];
    const account = customAccount(p);
    return hostsStatus(
      account,
      entry?.type === "dyndns2" ? entry : null,
      (stop) => stopped(account, stop, configPath),
      clock,
      dns,
    );
  },
  render: renderDyndns2,
  records: (p) =>
    p.hostnames.flatMap((hostname) => p.families.map((family) => ({ hostname, family }))),
  hostnames: (p) => p.hostnames,
  duplicate: (p, i, first) =>
    `providers[${i}]: the same account (${
      p.username || p.hostnames.join(", ")
    } at ${p.server}) as providers[${first}]; put all its hostnames in one provider`,
  configType: (p) => p.configType,
  describe: describeCustom,
  schedule: (p) => `${p.service.label}, every ${formatDuration(p.intervalMs)}`,
  secretSources: (p) => [p.passwordSource, p.tokenSource].filter((s) => s !== ""),
  contact: (p) => p.userAgentContact,
  // A service that names no detection domains withholds the server's registrable domain.
  detection: (p) => [
    ...p.service.detection,
    ...serverDomains(p.server, p.service.detection.length === 0),
  ],
};

const CLOUDFLARE: Kind<CloudflareProvider, Dyndns2Status> = {
  readers: { cloudflare: parseCloudflare },
  loop: runCloudflare,
  once: cloudflareRound,
  // Its state entry is a DynDNS2 account's: the same machinery keeps it.
  status: (p, state, configPath, _timeoutMs, clock, dns) => {
    const entry = state.providers[p.key];
    return cloudflareStatus(p, entry?.type === "dyndns2" ? entry : null, configPath, clock, dns);
  },
  render: renderDyndns2,
  records: (p) =>
    p.hostnames.flatMap((hostname) => p.families.map((family) => ({ hostname, family }))),
  hostnames: (p) => p.hostnames,
  duplicate: (p, i, first) =>
    `providers[${i}]: the same Cloudflare API token (at ${p.server}) as providers[${first}]; put all its hostnames in one provider`,
  configType: () => "cloudflare",
  describe: describeCloudflare,
  schedule: (p) => `${CLOUDFLARE_LABEL}, every ${formatDuration(p.intervalMs)}`,
  secretSources: (p) => [p.passwordSource],
  contact: (p) => p.userAgentContact,
  // Cloudflare's own address services (their `/cdn-cgi/trace`), and its API's host.
  detection: (p) => [...CLOUDFLARE_DETECTION, ...serverDomains(p.server, false)],
};

const KINDS: { [K in Provider["kind"]]: Kind<Extract<Provider, { kind: K }>, ProviderStatus> } = {
  dyndns2: DYNDNS2 as Kind<Dyndns2Provider, ProviderStatus>,
  dynamip: DYNAMIP as Kind<DynamipProvider, ProviderStatus>,
  custom: CUSTOM as Kind<CustomProvider, ProviderStatus>,
  cloudflare: CLOUDFLARE as Kind<CloudflareProvider, ProviderStatus>,
};

/** The kind of `p`, typed for it. */
export function kindOf(p: Provider): Kind<Provider, ProviderStatus> {
  return KINDS[p.kind] as Kind<Provider, ProviderStatus>;
}

const READERS: Readonly<Record<string, Reader<Provider>>> = Object.assign(
  {},
  ...Object.values(KINDS).map((k) => k.readers),
);

/** Every provider `"type"` the config accepts: the DynDNS2 service profiles, DynamIP, `custom`. */
export const PROVIDER_TYPES: readonly string[] = Object.keys(READERS);

/** The reader of the config's provider `"type"` `type`; undefined for an unknown one. */
export function readerOf(type: string): Reader<Provider> | undefined {
  return Object.hasOwn(READERS, type) ? READERS[type] : undefined;
}
