/**
 * A DynDNS2 provider's entry in the config (`"type": "noip"`, `"dynu"` or `"dyndns2"`): its
 * fields, their defaults from the service's profile, and their validation.
 *
 * @module
 */
import type { Dyndns2Provider } from "../config_types.ts";
import { DAY, formatDuration, MINUTE } from "../duration.ts";
import { dyndns2Fingerprint, providerKey } from "../identity.ts";
import type { IpFamily } from "../ip.ts";
import type { Validator } from "../validate.ts";
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
];

/** The shortest check interval allowed. */
export const MIN_INTERVAL_MS: number = MINUTE;
/** How often the address is checked by default. */
export const DEFAULT_INTERVAL_MS: number = 5 * MINUTE;
/** An unchanged address is sent again after this long by default. */
export const DEFAULT_FORCE_REFRESH_MS: number = 25 * DAY;
/**
 * The shortest `forceRefresh`: No-IP counts repeated `nochg` replies as abuse, so an unchanged
 * address is sent again at most weekly.
 */
export const MIN_FORCE_REFRESH_MS: number = 7 * DAY;

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
  const name = v.string(entry, "name", `${prefix}.`, profile.type);
  const username = v.string(entry, "username", `${prefix}.`);
  const password = v.password(entry, prefix);
  const hostnames = v.hostnames(entry.hostnames, `${prefix}.hostnames`, profile.label);
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
function forceRefresh(v: Validator, entry: Record<string, unknown>, prefix: string): number {
  if (entry.forceRefresh === "never") return 0;
  const ms = v.duration(entry, "forceRefresh", `${prefix}.`, DEFAULT_FORCE_REFRESH_MS, 0);
  if (ms >= MIN_FORCE_REFRESH_MS) return ms;
  const found = JSON.stringify(entry.forceRefresh);
  v.errors.push(
    `${prefix}.forceRefresh: at least ${
      formatDuration(MIN_FORCE_REFRESH_MS)
    }: No-IP counts repeated nochg as abuse; a refresh more often than weekly risks the account (found ${found}); use "${
      formatDuration(DEFAULT_FORCE_REFRESH_MS)
    }" (the default) or "never"`,
  );
  return DEFAULT_FORCE_REFRESH_MS;
}
