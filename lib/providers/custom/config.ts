/**
 * A `custom` provider's entry in the config: a service that updates with one HTTP request,
 * described by the user (`url`, `method`, `headers`, `body`, `success`, `nochange`, `wait`,
 * `hostList`), its credentials (`username`, the password and a token, each inline, in a file or
 * in the environment) and its hostnames. Every problem names the field, never a value.
 *
 * @module
 */
import type { CustomProvider } from "../../config/types.ts";
import { readSecret } from "../../config/password_field.ts";
import type { Validator } from "../../config/validate.ts";
import type { IpFamily } from "../../net/ip.ts";
import { fingerprint, providerKey } from "../../state/identity.ts";
import { isObject } from "../../state/mod.ts";
import { DEFAULT_INTERVAL_MS, forceRefresh, MIN_INTERVAL_MS } from "../dyndns2/config.ts";
import { compileService, originOf, REFUSED_WIRE, type UrlService } from "./service.ts";

/** The fields of a provider of a service that updates with one URL: its account and hosts. */
const ACCOUNT_KEYS: readonly string[] = [
  "type",
  "name",
  "username",
  "password",
  "passwordFile",
  "passwordEnv",
  "token",
  "tokenFile",
  "tokenEnv",
  "hostnames",
  "families",
  "interval",
  "forceRefresh",
];

/**
 * The fields of a built-in service's provider: an account's, and `server`, the base URL its
 * request goes to instead of the service's own (a mirror, a proxy, or a test's emulator).
 */
export const BUILTIN_KEYS: readonly string[] = [...ACCOUNT_KEYS, "server"];

/** The fields a `custom` provider may have: an account's, and its service's description. */
const CUSTOM_KEYS: readonly string[] = [
  ...ACCOUNT_KEYS,
  "url",
  "method",
  "headers",
  "body",
  "success",
  "nochange",
  "wait",
  "hostList",
];

/** The fields of a `custom` service that may be left out. */
const OPTIONAL = ["method", "body", "nochange", "wait", "hostList"] as const;

/** Validates the entry of a `custom` provider at `prefix`; `contact`: the User-Agent's. */
export function parseCustom(
  v: Validator,
  entry: Record<string, unknown>,
  prefix: string,
  contact: string,
): Promise<CustomProvider> {
  const at = `${prefix}.`;
  const url = v.string(entry, "url", at);
  const headers: Record<string, string> = {};
  if (entry.headers !== undefined) {
    if (!isObject(entry.headers)) {
      v.error(
        `${at}headers`,
        'an object of header names and values, like {"X-Key": "{{token}}"}',
        entry.headers,
        true,
      );
    } else {
      for (const [name, value] of Object.entries(entry.headers)) {
        if (typeof value === "string") headers[name] = value;
        else v.error(`${at}headers.${name}`, "a string", value, true);
      }
    }
  }
  const given = Object.fromEntries(
    OPTIONAL.filter((key) => entry[key] !== undefined).map((
      key,
    ) => [key, v.string(entry, key, at)]),
  );
  const service: UrlService = {
    ...given,
    label: new URL(originOf(url) || "http://the-service").hostname,
    url,
    headers,
    success: v.string(entry, "success", at),
    detection: [],
    docs: null,
  };
  return readUrlProvider(v, entry, prefix, contact, service, "custom", CUSTOM_KEYS);
}

/**
 * Validates the entry at `prefix` of a provider of the service `described`, whose config `"type"` is
 * `configType` and whose fields are `keys`: a `custom` one the user described, or a built-in
 * service's (a fixed {@link UrlService}, the fields {@link BUILTIN_KEYS}, its `server` replacing
 * the URL's): its credentials, hostnames, families and intervals.
 */
export async function readUrlProvider(
  v: Validator,
  entry: Record<string, unknown>,
  prefix: string,
  contact: string,
  described: UrlService,
  configType: string,
  keys: readonly string[] = ACCOUNT_KEYS,
): Promise<CustomProvider> {
  const before = v.errors.length;
  const at = `${prefix}.`;
  v.unknownKeys(entry, keys, at);
  // A built-in service's request may go to another server: its origin replaced, the rest kept.
  const own = originOf(described.url);
  const moved = keys.includes("server") ? v.url(entry, "server", at, own) : own;
  const service = moved === own
    ? described
    : { ...described, url: moved + described.url.slice(own.length) };
  const compiled = compileService(service);
  if (!compiled.ok) {
    for (const p of compiled.problems) v.errors.push(`${at}${p.field}: ${p.problem}`);
  }
  const name = v.string(entry, "name", at, configType);
  const username = entry.username === undefined ? "" : v.string(entry, "username", at);
  const password = readSecret(v, entry, prefix, "password", "password");
  const token = readSecret(v, entry, prefix, "token", "token");
  const uses = compiled.ok ? compiled.wire.uses : new Set<string>();
  const given: Record<string, boolean> = {
    username: username !== "",
    password: password !== null,
    token: token !== null,
  };
  for (const [field, has] of Object.entries(given)) {
    if (uses.has(field) && !has) {
      v.errors.push(
        `${at}${field}: the request uses {{${field}}}, and the provider gives none; set "${field}"${
          field === "username" ? "" : ` (or "${field}File", "${field}Env")`
        }`,
      );
    } else if (has && !uses.has(field)) {
      v.warnings.push(
        `${at}${field}: given, but no {{${field}}} in "url", "headers" or "body" sends it`,
      );
    }
  }
  const hostnames = v.hostnames(entry.hostnames, `${at}hostnames`, service.label);
  const familiesValue = v.oneOf(entry, "families", at, ["ipv4", "ipv6", "both"], "ipv4");
  const families: IpFamily[] = familiesValue === "both" ? ["ipv4", "ipv6"] : [familiesValue];
  const can = service.families ?? ["ipv4", "ipv6"];
  for (const family of families.filter((f) => !can.includes(f))) {
    v.errors.push(
      `${at}families: includes ${family}, which ${service.label}'s request cannot update; leave it out of "families"`,
    );
  }
  if (compiled.ok && !compiled.wire.uses.has("hostname") && hostnames.length > 1) {
    v.errors.push(
      `${at}hostnames: the request names no host (its token stands for one), so it updates one hostname; give each hostname a provider of its own`,
    );
  }
  if (compiled.ok) {
    const sends = ["ip", ...families].filter((f) => compiled.wire.uses.has(f));
    for (const family of families) {
      if (!compiled.wire.uses.has(family) && !compiled.wire.uses.has("ip") && sends.length > 0) {
        v.errors.push(
          `${at}families: includes ${family}, and the request sends no {{${family}}} nor {{ip}}; write one in "url" (or "body"), or leave ${family} out of "families"`,
        );
      }
    }
  }
  const intervalMs = v.duration(entry, "interval", at, DEFAULT_INTERVAL_MS, MIN_INTERVAL_MS);
  const forceRefreshMs = forceRefresh(v, entry, prefix);
  const server = originOf(service.url);
  // The account: its username; else its token or password (by a digest: the state file holds
  // the key), which a service without usernames gives per account; else its hostnames.
  const secret = token?.value || password?.value || "";
  const account = username !== ""
    ? username
    : secret !== ""
    ? `secret ${(await fingerprint([secret])).slice(0, 12)}`
    : [...hostnames].sort().join(",");
  const fp = v.errors.length === before
    ? await fingerprint([
      "custom",
      service.url,
      service.method ?? "GET",
      JSON.stringify(service.headers ?? {}),
      service.body ?? "",
      username,
      password?.value ?? "",
      token?.value ?? "",
      [...hostnames].sort(),
    ])
    : "";
  return {
    kind: "custom",
    configType,
    service,
    wire: compiled.ok ? compiled.wire : REFUSED_WIRE,
    key: providerKey("custom", server, account),
    name,
    username,
    password: password?.value ?? "",
    passwordSource: password?.source ?? "",
    token: token?.value ?? "",
    tokenSource: token?.source ?? "",
    hostnames,
    server,
    families,
    intervalMs,
    forceRefreshMs,
    userAgentContact: contact,
    fingerprint: fp,
  };
}
