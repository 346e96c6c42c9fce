/**
 * Reading and validating the config file. Every problem names the field, what was expected and
 * what was found; a secret is never echoed (only its length, or nothing).
 *
 * @module
 */
import type {
  Config,
  DynamipProvider,
  NoipProvider,
  Provider,
  StartupConfig,
} from "./config_types.ts";
import { DEFAULT_SERVER as DYNAMIP_SERVER } from "./dynamip/protocol.ts";
import { type IpSource, parseIpSource } from "./detect.ts";
import { MINUTE, parseDuration, SECOND } from "./duration.ts";
import type { IpFamily } from "./ip.ts";
import { type Level, LEVELS } from "./log.ts";
import { MIN_SECRET_LENGTH } from "./redact.ts";
import { isObject } from "./state.ts";

/** Where the config is looked for when neither `--config` nor `DNSBEAT_CONFIG` is given. */
export const DEFAULT_CONFIG_PATH = "/etc/dnsbeat/config.json";
/** Where the state is kept when the config has no `state`. */
export const DEFAULT_STATE_PATH = "/var/lib/dnsbeat/state.json";
/** No-IP's update server. */
export const NOIP_SERVER = "https://dynupdate.no-ip.com";
/** Default IPv4 sources: ipify, then No-IP's own service. */
export const DEFAULT_IPV4_SOURCES = ["https://api.ipify.org", "http://ip1.dynupdate.no-ip.com/"];
/** Default IPv6 sources. */
export const DEFAULT_IPV6_SOURCES = [
  "https://api6.ipify.org",
  "http://ip1.dynupdate6.no-ip.com/",
];
/** The shortest No-IP check interval allowed. */
export const MIN_INTERVAL_MS = MINUTE;
/** Said instead of a value that may be a password typed into the wrong field. */
const HIDDEN = "the value is not shown, in case it is the password itself";
/** Environment variables a `passwordEnv` may name (the binary may read no others). */
export const ENV_PREFIX = "DNSBEAT_";

/** What validation needs from the outside. */
export interface ConfigDeps {
  /** Reads a `passwordFile`; returns its text and whether others can read it. */
  readSecretFile(path: string): { text: string; worldReadable: boolean } | { error: string };
  /** Reads an environment variable. */
  env(name: string): string | undefined;
}

/** Outcome of {@link parseConfig}. */
export type ConfigResult =
  | { ok: true; config: Config; warnings: string[] }
  | { ok: false; errors: string[] };

/** The fields each part of the config may have; anything else is an error ("did you mean"). */
export const CONFIG_KEYS = {
  top: ["state", "ipSources", "ipv6Sources", "timeout", "logLevel", "startup", "providers"],
  noip: [
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
  ],
  dynamip: ["type", "name", "siteId", "password", "passwordFile", "passwordEnv", "ip", "server"],
  startup: ["delay", "waitForClock", "waitForNetwork", "maxWait"],
} as const;
const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/i;

/** Validates parsed JSON of the config file at `path`. */
export async function parseConfig(
  data: unknown,
  path: string,
  deps: ConfigDeps,
): Promise<ConfigResult> {
  const v = new Validator(deps);
  if (!isObject(data)) {
    return { ok: false, errors: [`the config must be a JSON object, found ${kind(data)}`] };
  }
  v.unknownKeys(data, CONFIG_KEYS.top, "");
  const statePath = v.string(data, "state", "", DEFAULT_STATE_PATH);
  const ipv4Sources = v.sources(data, "ipSources", DEFAULT_IPV4_SOURCES);
  const ipv6Sources = v.sources(data, "ipv6Sources", DEFAULT_IPV6_SOURCES);
  const timeoutMs = v.duration(data, "timeout", "", 15 * SECOND, SECOND);
  const logLevel = v.oneOf(data, "logLevel", "", LEVELS, "info") as Level;
  const startup = v.startup(data.startup);
  const providers: Provider[] = [];
  if (!Array.isArray(data.providers) || data.providers.length === 0) {
    v.error("providers", "a non-empty list of providers", data.providers);
  } else {
    for (const [i, entry] of data.providers.entries()) {
      const provider = await v.provider(entry, `providers[${i}]`);
      if (provider) providers.push(provider);
    }
    v.duplicates(providers);
    providers.forEach((p, i) => {
      if (p.password.length > 0 && p.password.length < MIN_SECRET_LENGTH) {
        v.warnings.push(
          `providers[${i}]: the password is shorter than ${MIN_SECRET_LENGTH} characters, too short for dnsbeat to mask it in messages (it still masks it in URLs and headers); use a longer one`,
        );
      }
    });
  }
  if (v.errors.length > 0) return { ok: false, errors: v.errors };
  return {
    ok: true,
    warnings: v.warnings,
    config: { path, statePath, ipv4Sources, ipv6Sources, timeoutMs, logLevel, startup, providers },
  };
}

/** Reads and validates the config file; a missing or malformed file is an error naming it. */
export async function loadConfig(path: string, deps: ConfigDeps): Promise<ConfigResult> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "not found (give --config PATH or set DNSBEAT_CONFIG)"
      : e instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : e instanceof Deno.errors.IsADirectory
      ? "is a directory"
      : "unreadable";
    return { ok: false, errors: [`config ${path}: ${why}`] };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    // V8 quotes the text around an unexpected token, which may be a password: leave that out.
    const detail = e instanceof SyntaxError
      ? e.message.replace(/,\s*(\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, "").replace(/\s+/g, " ")
      : "";
    return { ok: false, errors: [`config ${path}: not valid JSON (${detail})`] };
  }
  return parseConfig(data, path, deps);
}

/** The real file system and environment. */
export const systemConfigDeps: ConfigDeps = {
  readSecretFile(path) {
    try {
      const info = Deno.statSync(path);
      const text = Deno.readTextFileSync(path);
      return { text, worldReadable: info.mode !== null && (info.mode & 0o004) !== 0 };
    } catch (e) {
      return {
        error: e instanceof Deno.errors.NotFound ? "file not found" : "cannot be read",
      };
    }
  },
  env: (name) => Deno.env.get(name),
};

/**
 * A provider's identity, which keys its entry in the state file: its type, its server and its
 * account (No-IP username or DynamIP SiteID). Renaming a provider keeps it.
 */
export function providerKey(type: Provider["type"], server: string, account: string): string {
  return `${type} ${server} ${account}`;
}

/** SHA-256 (hex, 32 chars) of the values whose change lifts a stop. */
export async function fingerprint(
  values: readonly (string | readonly string[])[],
): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(values));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

class Validator {
  errors: string[] = [];
  warnings: string[] = [];
  constructor(private deps: ConfigDeps) {}

  error(field: string, expected: string, found: unknown, secret = false): void {
    this.errors.push(`${field}: expected ${expected}, found ${secret ? kind(found) : show(found)}`);
  }

  unknownKeys(obj: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
    for (const key of Object.keys(obj)) {
      if (allowed.includes(key)) continue;
      const near = allowed.find((a) => a.toLowerCase() === key.toLowerCase() || similar(a, key));
      this.errors.push(
        `${prefix}${key}: unknown field${near ? ` (did you mean "${near}"?)` : ""}; known: ${
          allowed.join(", ")
        }`,
      );
    }
  }

  string(obj: Record<string, unknown>, key: string, prefix: string, fallback?: string): string {
    const value = obj[key];
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== "string" || value.trim() === "") {
      this.error(`${prefix}${key}`, "a non-empty string", value);
      return "";
    }
    return value;
  }

  oneOf<T extends string>(
    obj: Record<string, unknown>,
    key: string,
    prefix: string,
    options: readonly T[],
    fallback: T,
  ): T {
    const value = obj[key];
    if (value === undefined) return fallback;
    if (typeof value === "string" && (options as readonly string[]).includes(value)) {
      return value as T;
    }
    this.error(`${prefix}${key}`, `one of ${options.map((o) => `"${o}"`).join(", ")}`, value);
    return fallback;
  }

  duration(
    obj: Record<string, unknown>,
    key: string,
    prefix: string,
    fallback: number,
    min: number,
  ): number {
    const value = obj[key];
    if (value === undefined) return fallback;
    const parsed = typeof value === "string" ? parseDuration(value) : null;
    if (parsed === null) {
      this.error(`${prefix}${key}`, 'a duration like "90s", "5m", "1h30m" or "25d"', value);
      return fallback;
    }
    if (parsed < min) {
      this.errors.push(`${prefix}${key}: must be at least ${min / SECOND}s, found ${show(value)}`);
      return fallback;
    }
    return parsed;
  }

  boolean(obj: Record<string, unknown>, key: string, prefix: string, fallback: boolean): boolean {
    const value = obj[key];
    if (value === undefined) return fallback;
    if (typeof value === "boolean") return value;
    this.error(`${prefix}${key}`, "true or false", value);
    return fallback;
  }

  /** A server base URL, normalised: lower-case host, no trailing slash, no query. */
  url(obj: Record<string, unknown>, key: string, prefix: string, fallback: string): string {
    const value = this.string(obj, key, prefix, fallback);
    if (!value) return fallback;
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      this.error(`${prefix}${key}`, "an http:// or https:// URL", value);
      return value;
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      this.error(`${prefix}${key}`, "an http:// or https:// URL", value);
    } else if (u.username || u.password) {
      this.errors.push(
        `${prefix}${key}: credentials in the URL are not allowed; use "username" and a password field`,
      );
    } else if (u.search || u.hash) {
      this.errors.push(
        `${prefix}${key}: expected the server's base URL without "?" or "#", like "${u.origin}"`,
      );
    }
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}`;
  }

  sources(obj: Record<string, unknown>, key: string, fallback: readonly string[]): IpSource[] {
    const value = obj[key] ?? fallback;
    if (!Array.isArray(value) || value.length === 0) {
      this.error(key, 'a non-empty list like ["https://api.ipify.org", "interface:eth0"]', value);
      return [];
    }
    const sources: IpSource[] = [];
    for (const [i, entry] of value.entries()) {
      const parsed = typeof entry === "string"
        ? parseIpSource(entry)
        : { error: `expected a URL or "interface:NAME", found ${show(entry)}` };
      if ("error" in parsed) this.errors.push(`${key}[${i}]: ${parsed.error}`);
      else sources.push(parsed);
    }
    return sources;
  }

  startup(value: unknown): StartupConfig {
    const defaults = {
      delayMs: 0,
      waitForClock: true,
      waitForNetwork: true,
      maxWaitMs: 5 * MINUTE,
    };
    if (value === undefined) return defaults;
    if (!isObject(value)) {
      this.error("startup", "an object", value);
      return defaults;
    }
    this.unknownKeys(value, CONFIG_KEYS.startup, "startup.");
    return {
      delayMs: this.duration(value, "delay", "startup.", 0, 0),
      waitForClock: this.boolean(value, "waitForClock", "startup.", true),
      waitForNetwork: this.boolean(value, "waitForNetwork", "startup.", true),
      maxWaitMs: this.duration(value, "maxWait", "startup.", defaults.maxWaitMs, 0),
    };
  }

  password(obj: Record<string, unknown>, prefix: string): string {
    const given = ["password", "passwordFile", "passwordEnv"].filter((k) => obj[k] !== undefined);
    if (given.length !== 1) {
      this.errors.push(
        `${prefix}: expected exactly one of "password", "passwordFile", "passwordEnv", found ${
          given.length ? given.join(" and ") : "none"
        }`,
      );
      return "";
    }
    const key = given[0]!;
    const value = obj[key];
    if (typeof value !== "string" || value === "") {
      this.error(`${prefix}.${key}`, "a non-empty string", value, key === "password");
      return "";
    }
    if (key === "password") return value;
    if (key === "passwordEnv") {
      if (!/^DNSBEAT_[A-Za-z0-9_]+$/.test(value)) {
        this.errors.push(
          `${prefix}.passwordEnv: expected the name of an environment variable starting with ${ENV_PREFIX} (dnsbeat may read no other variables), like "DNSBEAT_NOIP_PASSWORD"; ${HIDDEN}`,
        );
        return "";
      }
      const secret = this.deps.env(value);
      if (!secret) {
        this.errors.push(`${prefix}.passwordEnv: the variable ${value} is not set or empty`);
      }
      return secret ?? "";
    }
    // A path is shown; anything else may be the password typed into the wrong field.
    const shown = value.includes("/") ? value : "the file it names";
    const read = this.deps.readSecretFile(value);
    if ("error" in read) {
      this.errors.push(
        `${prefix}.passwordFile: ${shown}: ${read.error}${
          value.includes("/") ? "" : `; ${HIDDEN}`
        }`,
      );
      return "";
    }
    if (read.worldReadable) {
      this.warnings.push(
        `${prefix}.passwordFile: ${shown} can be read by every user; run: chmod 600 ${shown}`,
      );
    }
    const secret = read.text.replace(/\r?\n$/, "");
    if (!secret) this.errors.push(`${prefix}.passwordFile: ${value} is empty`);
    return secret;
  }

  async provider(entry: unknown, prefix: string): Promise<Provider | null> {
    if (!isObject(entry)) {
      this.error(prefix, "an object", entry);
      return null;
    }
    if (entry.type === "noip") return await this.noip(entry, prefix);
    if (entry.type === "dynamip") return await this.dynamip(entry, prefix);
    this.error(`${prefix}.type`, '"noip" or "dynamip"', entry.type);
    return null;
  }

  async noip(entry: Record<string, unknown>, prefix: string): Promise<NoipProvider> {
    const before = this.errors.length;
    this.unknownKeys(entry, CONFIG_KEYS.noip, `${prefix}.`);
    const name = this.string(entry, "name", `${prefix}.`, "noip");
    const username = this.string(entry, "username", `${prefix}.`);
    const password = this.password(entry, prefix);
    const hostnames = this.hostnames(entry.hostnames, `${prefix}.hostnames`);
    const server = this.url(entry, "server", `${prefix}.`, NOIP_SERVER);
    const familiesValue = this.oneOf(
      entry,
      "families",
      `${prefix}.`,
      ["ipv4", "ipv6", "both"],
      "ipv4",
    );
    const families: IpFamily[] = familiesValue === "both" ? ["ipv4", "ipv6"] : [familiesValue];
    const intervalMs = this.duration(entry, "interval", `${prefix}.`, 5 * MINUTE, MIN_INTERVAL_MS);
    const forceRefreshMs = entry.forceRefresh === "never"
      ? 0
      : this.duration(entry, "forceRefresh", `${prefix}.`, 25 * 24 * 60 * MINUTE, 60 * MINUTE);
    const fp = this.errors.length === before
      ? await fingerprint(["noip", server, username, password, [...hostnames].sort()])
      : "";
    return {
      type: "noip",
      key: providerKey("noip", server, username),
      name,
      username,
      password,
      hostnames,
      server,
      families,
      intervalMs,
      forceRefreshMs,
      fingerprint: fp,
    };
  }

  async dynamip(entry: Record<string, unknown>, prefix: string): Promise<DynamipProvider> {
    const before = this.errors.length;
    this.unknownKeys(entry, CONFIG_KEYS.dynamip, `${prefix}.`);
    const name = this.string(entry, "name", `${prefix}.`, "dynamip");
    const siteId = this.string(entry, "siteId", `${prefix}.`);
    const password = this.password(entry, prefix);
    const ip = this.oneOf(entry, "ip", `${prefix}.`, ["auto", "detect"], "auto");
    const server = this.url(entry, "server", `${prefix}.`, DYNAMIP_SERVER);
    const fp = this.errors.length === before
      ? await fingerprint(["dynamip", server, siteId, password])
      : "";
    return {
      type: "dynamip",
      key: providerKey("dynamip", server, siteId),
      name,
      siteId,
      password,
      ip,
      server,
      fingerprint: fp,
    };
  }

  hostnames(value: unknown, field: string): string[] {
    if (!Array.isArray(value) || value.length === 0) {
      this.error(field, 'a non-empty list of hostnames like ["myhome.ddns.net"]', value);
      return [];
    }
    const seen = new Set<string>();
    const out: string[] = [];
    for (const [i, h] of value.entries()) {
      if (typeof h !== "string" || !HOSTNAME.test(h) || h.includes(",")) {
        this.error(`${field}[${i}]`, 'a hostname or group name like "myhome.ddns.net"', h);
      } else if (seen.has(h.toLowerCase())) {
        this.errors.push(`${field}[${i}]: "${h}" is listed twice`);
      } else {
        seen.add(h.toLowerCase());
        out.push(h);
      }
    }
    return out;
  }

  duplicates(providers: Provider[]): void {
    const names = new Map<string, number>();
    const keys = new Map<string, number>();
    const hosts = new Map<string, string>();
    providers.forEach((p, i) => {
      const first = names.get(p.name);
      if (first !== undefined) {
        this.errors.push(
          `providers[${i}].name: "${p.name}" is already the name of providers[${first}]; give each provider its own "name"`,
        );
      } else names.set(p.name, i);
      // A provider with errors has no fingerprint; its key may be made of empty fields.
      const same = p.fingerprint === "" ? undefined : keys.get(p.key);
      if (same !== undefined) {
        this.errors.push(
          p.type === "noip"
            ? `providers[${i}]: the same account (${p.username} at ${p.server}) as providers[${same}]; put all its hostnames in one provider, they are sent in one request`
            : `providers[${i}]: the same DynamIP site (${p.siteId} at ${p.server}) as providers[${same}]; two providers for one site would beat twice every 15 minutes, which gets its updates disallowed`,
        );
      } else if (p.fingerprint !== "") keys.set(p.key, i);
      if (p.type !== "noip") return;
      for (const h of p.hostnames) {
        const key = `${p.server} ${h.toLowerCase()}`;
        const owner = hosts.get(key);
        if (owner && owner !== p.name) {
          this.errors.push(
            `providers[${i}].hostnames: "${h}" is also updated by provider "${owner}"; two providers updating one host fight each other`,
          );
        }
        hosts.set(key, p.name);
      }
    });
  }
}

function kind(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `a string of ${value.length} characters`;
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/** A found value for a message: lists and objects only by kind, as they may hold a password. */
function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "object" && value !== null) return kind(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function similar(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 2) return false;
  const x = a.toLowerCase(), y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row[j] = Math.min(
        prev[j]! + 1,
        row[j - 1]! + 1,
        prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[y.length]! <= 2;
}
