/**
 * A Cloudflare provider's entry in the config (`"type": "cloudflare"`): its fields, their
 * defaults and their validation.
 *
 * ```json
 * { "type": "cloudflare", "name": "home", "tokenFile": "/etc/dnsbeat/cloudflare.token",
 *   "hostnames": ["home.example.com"], "zone": "example.com", "families": "both" }
 * ```
 *
 * The token needs Zone · DNS · Edit on the zone, and Zone · Zone · Read unless `zone` is the
 * zone's id (README, "Cloudflare"). dnsbeat changes only a record's address: its TTL and proxy
 * status stay as set in Cloudflare's dashboard, so `ttl` and `proxied` are not fields.
 *
 * @module
 */
import type { CloudflareProvider } from "../../config/types.ts";
import { MINUTE } from "../../config/duration.ts";
import { hostnameProblem } from "../../config/hostname.ts";
import { readProviderSecret } from "../../config/password_field.ts";
import type { Validator } from "../../config/validate.ts";
import type { IpFamily } from "../../net/ip.ts";
import { fingerprint, providerKey } from "../../state/identity.ts";
import { API_BASE, isZoneId } from "./protocol.ts";

/** The fields a Cloudflare provider may have. */
const CLOUDFLARE_KEYS: readonly string[] = [
  "type",
  "name",
  "token",
  "tokenFile",
  "tokenEnv",
  "hostnames",
  "zone",
  "families",
  "interval",
  "server",
];

/** Fields other clients take that dnsbeat leaves to Cloudflare's dashboard, and why. */
const LEFT_ALONE: Readonly<Record<string, string>> = {
  ttl: "dnsbeat changes only the record's address; its TTL stays as set in Cloudflare's dashboard",
  proxied:
    "dnsbeat changes only the record's address; its proxy status stays as set in Cloudflare's dashboard",
};

/** The shortest check interval allowed. */
const MIN_INTERVAL_MS: number = MINUTE;
/** How often the address is checked by default. */
const DEFAULT_INTERVAL_MS: number = 5 * MINUTE;

/** Validates the entry of a Cloudflare provider at `prefix`; `contact`: the User-Agent's. */
export async function parseCloudflare(
  v: Validator,
  entry: Record<string, unknown>,
  prefix: string,
  contact: string,
): Promise<CloudflareProvider> {
  const before = v.errors.length;
  for (const [key, why] of Object.entries(LEFT_ALONE)) {
    if (entry[key] !== undefined) v.errors.push(`${prefix}.${key}: ${why}; remove it`);
  }
  v.unknownKeys(
    Object.fromEntries(Object.entries(entry).filter(([k]) => !(k in LEFT_ALONE))),
    CLOUDFLARE_KEYS,
    `${prefix}.`,
  );
  const name = v.string(entry, "name", `${prefix}.`, "cloudflare");
  const token = readProviderSecret(v, entry, prefix, "token");
  if (token.value !== "" && !/^[\x21-\x7e]+$/.test(token.value)) {
    v.errors.push(
      `${prefix}: the token has a blank or a character that is not printable ASCII; a Cloudflare API token is letters, digits, "-" and "_" (the value is not shown)`,
    );
  }
  const zone = readZone(v, entry, prefix);
  const hostnames = readHostnames(v, entry, prefix, zone);
  const server = v.url(entry, "server", `${prefix}.`, API_BASE);
  const familiesValue = v.oneOf(entry, "families", `${prefix}.`, ["ipv4", "ipv6", "both"], "ipv4");
  const families: IpFamily[] = familiesValue === "both" ? ["ipv4", "ipv6"] : [familiesValue];
  const intervalMs = v.duration(
    entry,
    "interval",
    `${prefix}.`,
    DEFAULT_INTERVAL_MS,
    MIN_INTERVAL_MS,
  );
  const ok = v.errors.length === before;
  return {
    kind: "cloudflare",
    key: providerKey("cloudflare", server, ok ? `token ${await tokenDigest(token.value)}` : ""),
    name,
    password: token.value,
    passwordSource: token.source,
    hostnames,
    zone,
    server,
    families,
    intervalMs,
    userAgentContact: contact,
    fingerprint: ok
      ? await fingerprint(["cloudflare", server, token.value, zone ?? "", [...hostnames].sort()])
      : "",
  };
}

/**
 * A digest of the token that names the account in the state file: two providers with one token
 * are one account, and no file holds the token.
 */
function tokenDigest(token: string): Promise<string> {
  return fingerprint(["cloudflare token", token]);
}

/** `zone`: a zone name, or a zone id (32 hexadecimal digits); null when absent. */
function readZone(v: Validator, entry: Record<string, unknown>, prefix: string): string | null {
  if (entry.zone === undefined) return null;
  const zone = v.string(entry, "zone", `${prefix}.`);
  if (zone === "" || isZoneId(zone)) return zone === "" ? null : zone;
  const problem = hostnameProblem(zone, "Cloudflare");
  if (problem !== null) {
    v.errors.push(
      `${prefix}.zone: ${
        JSON.stringify(zone)
      } ${problem}; give the zone's name (like "example.com") or its id (32 hexadecimal digits, on the zone's overview page)`,
    );
    return null;
  }
  if (!zone.includes(".")) {
    v.errors.push(
      `${prefix}.zone: ${
        JSON.stringify(zone)
      } is not a zone; give the zone's name, like "example.com"`,
    );
  }
  return zone.toLowerCase();
}

/**
 * `hostnames`: plain names of at least two labels (a record in a zone), each in `zone` when the
 * zone is given by name.
 */
function readHostnames(
  v: Validator,
  entry: Record<string, unknown>,
  prefix: string,
  zone: string | null,
): string[] {
  const field = `${prefix}.hostnames`;
  const list = Array.isArray(entry.hostnames) ? entry.hostnames : [];
  const objects = list.findIndex((h) => typeof h === "object" && h !== null);
  if (objects >= 0) {
    v.errors.push(
      `${field}[${objects}]: a Cloudflare hostname is a plain name like "home.example.com"`,
    );
    return [];
  }
  const hostnames = v.hostnames(entry.hostnames, field, "Cloudflare").map((h) => h.toLowerCase());
  hostnames.forEach((h) => {
    const at = `${field}[${list.findIndex((x) => typeof x === "string" && x.toLowerCase() === h)}]`;
    if (!h.includes(".")) {
      v.errors.push(
        `${at}: "${h}" is not a name in a zone; give the full name, like "home.example.com"`,
      );
    } else if (zone !== null && !isZoneId(zone) && h !== zone && !h.endsWith(`.${zone}`)) {
      v.errors.push(
        `${at}: "${h}" is not in the zone ${zone}; give a name in it, or another "zone" (or none: dnsbeat then finds each name's zone)`,
      );
    }
  });
  return hostnames;
}
