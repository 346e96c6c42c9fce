/**
 * Reading and validating the config file: the top level here, each provider's fields by its kind
 * (`dyndns2/config.ts` for every DynDNS2 service profile, `dynamip/config.ts`). Every problem
 * names the field, what was expected and what was found; a secret is never echoed (only its
 * length, or nothing).
 *
 * @module
 */
import { parseNotifyConfig } from "../notify/config.ts";
import { readSinkSecrets } from "../notify/secret_fields.ts";
import type { Config, Provider } from "./types.ts";
import { DYNAMIP_KEYS } from "../providers/dynamip/config.ts";
import { DYNDNS2_KEYS } from "../providers/dyndns2/config.ts";
import { kindOf, PROVIDER_TYPES, readerOf } from "../providers/mod.ts";
import { SECOND } from "./duration.ts";
import { type Level, LEVELS } from "../log/mod.ts";
import { worldReadable } from "./password_field.ts";
import { isObject } from "../state/mod.ts";
import { kind } from "./shown.ts";
import { type ConfigDeps, STARTUP_KEYS, Validator } from "./validate.ts";

export type { ConfigDeps } from "./validate.ts";

/** Where the config is looked for when neither `--config` nor `DNSBEAT_CONFIG` is given. */
export const DEFAULT_CONFIG_PATH = "/etc/dnsbeat/config.json";
/** Where the state is kept when the config has no `state`. */
export const DEFAULT_STATE_PATH = "/var/lib/dnsbeat/state.json";
/**
 * Default IPv4 sources: OpenDNS's resolver (DNS, no web service), then ipify, then No-IP's own
 * service (left out while a No-IP provider is stopped).
 */
export const DEFAULT_IPV4_SOURCES = [
  "dns:opendns",
  "https://api.ipify.org",
  "http://ip1.dynupdate.no-ip.com/",
];
/** Default IPv6 sources, in the same order. */
export const DEFAULT_IPV6_SOURCES = [
  "dns:opendns",
  "https://api6.ipify.org",
  "http://ip1.dynupdate6.no-ip.com/",
];

/** Outcome of {@link parseConfig}. */
export type ConfigResult =
  | { ok: true; config: Config; warnings: string[] }
  | { ok: false; errors: string[] };

/** The fields each part of the config may have; anything else is an error ("did you mean"). */
export const CONFIG_KEYS = {
  top: [
    "state",
    "ipSources",
    "ipv6Sources",
    "resolver",
    "timeout",
    "logLevel",
    "startup",
    "userAgentContact",
    "failingAfter",
    "notify",
    "providers",
  ],
  dyndns2: DYNDNS2_KEYS,
  dynamip: DYNAMIP_KEYS,
  startup: STARTUP_KEYS,
} as const;

/** Validates parsed JSON of the config file at `path`. */
export async function parseConfig(
  data: unknown,
  path: string,
  deps: ConfigDeps,
): Promise<ConfigResult> {
  const v = new Validator(deps, path);
  if (!isObject(data)) {
    return { ok: false, errors: [`the config must be a JSON object, found ${kind(data)}`] };
  }
  v.unknownKeys(data, CONFIG_KEYS.top, "");
  const statePath = v.string(data, "state", "", DEFAULT_STATE_PATH);
  const ipv4Sources = v.sources(data, "ipSources", DEFAULT_IPV4_SOURCES);
  const ipv6Sources = v.sources(data, "ipv6Sources", DEFAULT_IPV6_SOURCES);
  const resolver = v.nameServer(data, "resolver");
  const timeoutMs = v.duration(data, "timeout", "", 15 * SECOND, SECOND);
  const logLevel = v.oneOf(data, "logLevel", "", LEVELS, "info") as Level;
  const startup = v.startup(data.startup);
  const contact = v.contact(data);
  const providers: Provider[] = [];
  if (!Array.isArray(data.providers) || data.providers.length === 0) {
    v.error("providers", "a non-empty list of providers", data.providers);
  } else {
    for (const [i, entry] of data.providers.entries()) {
      const provider = await parseProvider(v, entry, `providers[${i}]`, contact);
      if (provider) providers.push(provider);
    }
    duplicates(v, providers);
  }
  const notify = parseNotifyConfig(v, { ...data, notify: readSinkSecrets(v, data.notify) });
  if (v.errors.length > 0) return { ok: false, errors: v.errors };
  return {
    ok: true,
    warnings: v.warnings,
    config: {
      path,
      statePath,
      ipv4Sources,
      ipv6Sources,
      resolver,
      timeoutMs,
      logLevel,
      startup,
      providers,
      notify,
    },
  };
}

/** One provider entry, by its `"type"`'s reader; `contact`: the User-Agent's. */
async function parseProvider(
  v: Validator,
  entry: unknown,
  prefix: string,
  contact: string,
): Promise<Provider | null> {
  if (!isObject(entry)) {
    v.error(prefix, "an object", entry);
    return null;
  }
  const read = readerOf(typeof entry.type === "string" ? entry.type : "");
  if (read) return await read(v, entry, prefix, contact);
  v.error(`${prefix}.type`, `one of ${PROVIDER_TYPES.map((t) => `"${t}"`).join(", ")}`, entry.type);
  return null;
}

/**
 * Two providers may share neither a name, nor an account (DynDNS2) or a site (DynamIP), nor a
 * host at one server.
 */
function duplicates(v: Validator, providers: readonly Provider[]): void {
  const names = new Map<string, number>();
  const keys = new Map<string, number>();
  const hosts = new Map<string, string>();
  providers.forEach((p, i) => {
    const first = names.get(p.name);
    if (first !== undefined) {
      v.errors.push(
        `providers[${i}].name: "${p.name}" is already the name of providers[${first}]; give each provider its own "name"`,
      );
    } else names.set(p.name, i);
    // A provider with errors has no fingerprint; its key may be made of empty fields.
    const same = p.fingerprint === "" ? undefined : keys.get(p.key);
    if (same !== undefined) {
      v.errors.push(kindOf(p).duplicate(p, i, same));
    } else if (p.fingerprint !== "") keys.set(p.key, i);
    for (const h of kindOf(p).hostnames(p)) {
      const key = `${p.server} ${h.toLowerCase()}`;
      const owner = hosts.get(key);
      if (owner && owner !== p.name) {
        v.errors.push(
          `providers[${i}].hostnames: "${h}" is also updated by provider "${owner}"; two providers updating one host fight each other`,
        );
      }
      hosts.set(key, p.name);
    }
  });
}

/**
 * Reads and validates the config file; a missing or malformed file is an error. Like every problem
 * of the config, it does not name the file: the caller says `config PATH: ` before each.
 */
export async function loadConfig(path: string, deps: ConfigDeps): Promise<ConfigResult> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "not found; create it (see examples/noip.json) or pass --config PATH (or set DNSBEAT_CONFIG)"
      : e instanceof Deno.errors.PermissionDenied
      ? "permission denied; run dnsbeat as a user who may read it (root, or the file's owner)"
      : e instanceof Deno.errors.IsADirectory
      ? "is a directory; pass the config file itself with --config PATH"
      : `cannot be read (${e instanceof Error ? e.name : "unknown error"})`;
    return { ok: false, errors: [why] };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    // V8 quotes the text around an unexpected token, which may be a password: leave that out.
    const detail = e instanceof SyntaxError
      ? e.message.replace(/,\s*(\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, "").replace(/\s+/g, " ")
      : "";
    return { ok: false, errors: [`not valid JSON (${detail})`] };
  }
  return parseConfig(data, path, deps);
}

/** The real file system and environment. */
export const systemConfigDeps: ConfigDeps = {
  readSecretFile(path) {
    try {
      const info = Deno.statSync(path);
      const text = Deno.readTextFileSync(path);
      return { text, worldReadable: worldReadable(info.mode) };
    } catch (e) {
      return {
        error: e instanceof Deno.errors.NotFound ? "file not found" : "cannot be read",
      };
    }
  },
  env: (name) => Deno.env.get(name),
  fileMode(path) {
    try {
      return Deno.statSync(path).mode;
    } catch {
      return null;
    }
  },
};
