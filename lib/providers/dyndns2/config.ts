/**
 * A DynDNS2 provider's entry in the config (`"type": "noip"`, `"dynu"`, `"he"`, `"desec"` or
 * `"dyndns2"`): its fields, their defaults from the service's profile, and their validation.
 *
 * @module
 */
import type { Dyndns2Provider, Ipv6HostId } from "../../config/types.ts";
import { DAY, formatDuration, MINUTE } from "../../config/duration.ts";
import { dyndns2Fingerprint, providerKey } from "../../state/identity.ts";
import { hostIdProblem, type IpFamily, parseIp } from "../../net/ip.ts";
import { isObject } from "../../state/mod.ts";
import { readPassword } from "../../config/password_field.ts";
import { show } from "../../config/shown.ts";
import type { Validator } from "../../config/validate.ts";
import type { ServiceProfile } from "./profiles.ts";

/** The fields a DynDNS2 provider may have. */
export const DYNDNS2_KEYS: readonly string[] = [
  "type",
  "name",
  "username",
  "password",
  "passwordFile",
  "passwordEnv",
  "hostnames",
  "server",
  "families",
  "interval",
  "forceRefresh",
  "ipv6PrefixLength",
];

/** The fields of a hostname given as an object. */
const HOST_KEYS: readonly string[] = ["hostname", "ipv6HostId", "ipv6PrefixLength"];

/** The prefix length of a host id when the config gives none: a LAN's /64. */
const DEFAULT_PREFIX_LENGTH = 64;

/** The shortest check interval allowed. */
export const MIN_INTERVAL_MS: number = MINUTE;
/** How often the address is checked by default. */
export const DEFAULT_INTERVAL_MS: number = 5 * MINUTE;
/** An unchanged address is sent again after this long by default. */
const DEFAULT_FORCE_REFRESH_MS: number = 25 * DAY;
/**
 * The shortest `forceRefresh`: No-IP counts repeated `nochg` replies as abuse, so an unchanged
 * address is sent again at most weekly.
 */
const MIN_FORCE_REFRESH_MS: number = 7 * DAY;

/**
 * Validates the entry of a provider of `profile` at `prefix` (e.g. `providers[0]`); `contact` is
 * the User-Agent's, from the config's top level.
 */
export async function parseDyndns2(
  v: Validator,
  entry: Record<string, unknown>,
  prefix: string,
  profile: ServiceProfile,
  contact: string,
): Promise<Dyndns2Provider> {
  const before = v.errors.length;
  v.unknownKeys(entry, DYNDNS2_KEYS, `${prefix}.`);
  const name = v.string(entry, "name", `${prefix}.`, profile.configType);
  const hostnames = v.hostnames(entry.hostnames, `${prefix}.hostnames`, profile.label);
  // Where each request authenticates as its host, the username only names the account.
  const username = v.string(
    entry,
    "username",
    `${prefix}.`,
    profile.hostAsUsername ? hostnames[0] : undefined,
  );
  const password = readPassword(v, entry, prefix);
  const server = v.url(entry, "server", `${prefix}.`, profile.server ?? undefined);
  const familiesValue = v.oneOf(entry, "families", `${prefix}.`, ["ipv4", "ipv6", "both"], "ipv4");
  const families: IpFamily[] = familiesValue === "both" ? ["ipv4", "ipv6"] : [familiesValue];
  const intervalMs = v.duration(
    entry,
    "interval",
    `${prefix}.`,
    DEFAULT_INTERVAL_MS,
    MIN_INTERVAL_MS,
  );
  const forceRefreshMs = forceRefresh(v, entry, prefix);
  const ipv6HostIds = hostIds(v, entry, prefix, families);
  const fp = v.errors.length === before
    ? await dyndns2Fingerprint({ server, username, password: password.value, hostnames })
    : "";
  return {
    kind: "dyndns2",
    profile,
    key: providerKey("dyndns2", server, username),
    name,
    username,
    password: password.value,
    passwordSource: password.source,
    hostnames,
    ...(Object.keys(ipv6HostIds).length > 0 ? { ipv6HostIds } : {}),
    server,
    serverAsWritten: typeof entry.server === "string" ? entry.server : server,
    families,
    intervalMs,
    forceRefreshMs,
    userAgentContact: contact,
    fingerprint: fp,
  };
}

/** `forceRefresh`: `"never"` (0), or a duration of at least {@link MIN_FORCE_REFRESH_MS}. */
export function forceRefresh(v: Validator, entry: Record<string, unknown>, prefix: string): number {
  if (entry.forceRefresh === "never") return 0;
  const ms = v.duration(entry, "forceRefresh", `${prefix}.`, DEFAULT_FORCE_REFRESH_MS, 0);
  if (ms >= MIN_FORCE_REFRESH_MS) return ms;
  const found = show(entry.forceRefresh);
  v.errors.push(
    `${prefix}.forceRefresh: at least ${
      formatDuration(MIN_FORCE_REFRESH_MS)
    }: No-IP counts repeated nochg as abuse; a refresh more often than weekly risks the account (found ${found}); use "${
      formatDuration(DEFAULT_FORCE_REFRESH_MS)
    }" (the default) or "never"`,
  );
  return DEFAULT_FORCE_REFRESH_MS;
}

/**
 * The hostnames given as objects, `{"hostname": …, "ipv6HostId": …, "ipv6PrefixLength": …}`: a
 * device behind the router whose AAAA record is the detected prefix plus its interface id. The
 * provider's `ipv6PrefixLength` is the default of its hosts (else 64).
 */
function hostIds(
  v: Validator,
  entry: Record<string, unknown>,
  prefix: string,
  families: readonly IpFamily[],
): Record<string, Ipv6HostId> {
  const fallback = prefixLength(v, entry, `${prefix}.`, DEFAULT_PREFIX_LENGTH);
  const out: Record<string, Ipv6HostId> = {};
  const list = Array.isArray(entry.hostnames) ? entry.hostnames : [];
  for (const [i, host] of list.entries()) {
    if (!isObject(host)) continue;
    const at = `${prefix}.hostnames[${i}].`;
    v.unknownKeys(host, HOST_KEYS, at);
    const length = prefixLength(v, host, at, fallback);
    const id = host.ipv6HostId;
    if (typeof id !== "string") {
      v.error(
        `${at}ipv6HostId`,
        'the device\'s IPv6 interface id, like "::211:32ff:fe12:3456"',
        id,
      );
      continue;
    }
    const problem = hostIdProblem(id, length);
    if (problem !== null) {
      v.errors.push(
        `${at}ipv6HostId: ${
          show(id)
        } ${problem}, like "::211:32ff:fe12:3456" (the prefix length is ${length})`,
      );
      continue;
    }
    if (!families.includes("ipv6")) {
      v.errors.push(
        `${at}ipv6HostId: gives an IPv6 address, but the provider's "families" leaves IPv6 out; set "families": "both" (or "ipv6")`,
      );
      continue;
    }
    if (typeof host.hostname === "string") {
      out[host.hostname] = { id: parseIp(id)!.address, prefixLength: length };
    }
  }
  if (
    entry.ipv6PrefixLength !== undefined && Object.keys(out).length === 0 && !list.some(isObject)
  ) {
    v.errors.push(
      `${prefix}.ipv6PrefixLength: applies to hostnames given with an "ipv6HostId", and none is; give one like {"hostname": "nas.ddns.net", "ipv6HostId": "::211:32ff:fe12:3456"}, or remove it`,
    );
  }
  return out;
}

/** `ipv6PrefixLength` at `prefix`: a whole number of bits from 1 to 127, else `fallback`. */
function prefixLength(
  v: Validator,
  obj: Record<string, unknown>,
  prefix: string,
  fallback: number,
): number {
  const value = obj.ipv6PrefixLength;
  if (value === undefined) return fallback;
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 127) {
    return value;
  }
  v.error(
    `${prefix}ipv6PrefixLength`,
    "the length of the detected IPv6 prefix in bits, a whole number from 1 to 127 (64 for a LAN)",
    value,
  );
  return fallback;
}
