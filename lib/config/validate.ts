/**
 * The pieces config validation is made of: a {@link Validator} that reads one field at a time,
 * records every problem with the field's path, what was expected and what was found, and never
 * echoes a secret (only its length, or nothing). `mod.ts` reads the top level with it, and
 * each kind of provider its own fields (`dyndns2/config.ts`, `dynamip/config.ts`).
 *
 * @module
 */
import type { StartupConfig } from "./types.ts";
import { contactProblem } from "./contact.ts";
import { type IpSource, parseIpSource } from "../net/detect.ts";
import { type NameServer, parseNameServer } from "../net/dns.ts";
import { MINUTE, parseDuration, SECOND } from "./duration.ts";
import { hostnameProblem } from "./hostname.ts";
import { type Password, readPassword } from "./password_field.ts";
import { isObject } from "../state/mod.ts";
import { CONTACT } from "../version.ts";

/** The fields of the config's `startup` object. */
export const STARTUP_KEYS: readonly string[] = [
  "delay",
  "waitForClock",
  "waitForNetwork",
  "maxWait",
];

/** What validation needs from the outside. */
export interface ConfigDeps {
  /** Reads a `passwordFile`; returns its text and whether others can read it. */
  readSecretFile(path: string): { text: string; worldReadable: boolean } | { error: string };
  /** Reads an environment variable. */
  env(name: string): string | undefined;
  /**
   * The mode of the config file at `path` (null: unknown), to warn when an inline `password`
   * sits in a file every user can read; absent: not checked.
   */
  fileMode?(path: string): number | null;
}

/** Reads fields, collecting every problem and warning. */
export class Validator {
  errors: string[] = [];
  warnings: string[] = [];
  /** `deps`: files and environment; `configPath`: the config file, for its own mode. */
  constructor(readonly deps: ConfigDeps, readonly configPath: string) {}

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
  url(obj: Record<string, unknown>, key: string, prefix: string, fallback?: string): string {
    const value = this.string(obj, key, prefix, fallback);
    if (!value) return fallback ?? "";
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
        : { error: `expected a URL, "interface:NAME" or "dns:…", found ${show(entry)}` };
      if ("error" in parsed) this.errors.push(`${key}[${i}]: ${parsed.error}`);
      else sources.push(parsed);
    }
    return sources;
  }

  /** A name server (`IP[:PORT]`, IPv6 in brackets), or null when the key is absent. */
  nameServer(obj: Record<string, unknown>, key: string): NameServer | null {
    if (obj[key] === undefined) return null;
    const text = this.string(obj, key, "");
    if (text === "") return null;
    const parsed = parseNameServer(text);
    if ("error" in parsed) {
      this.errors.push(`${key}: ${parsed.error}, like "192.168.1.1" or "[2001:db8::53]:5353"`);
      return null;
    }
    return parsed;
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
    this.unknownKeys(value, STARTUP_KEYS, "startup.");
    return {
      delayMs: this.duration(value, "delay", "startup.", 0, 0),
      waitForClock: this.boolean(value, "waitForClock", "startup.", true),
      waitForNetwork: this.boolean(value, "waitForNetwork", "startup.", true),
      maxWaitMs: this.duration(value, "maxWait", "startup.", defaults.maxWaitMs, 0),
    };
  }

  /** The top-level `userAgentContact`: an e-mail address or an http(s) URL; default `CONTACT`. */
  contact(obj: Record<string, unknown>): string {
    const value = obj.userAgentContact;
    if (value === undefined) return CONTACT;
    if (typeof value !== "string" || value.trim() === "") {
      this.error(
        "userAgentContact",
        'an e-mail address or an http(s) URL like "you@example.com"',
        value,
      );
      return CONTACT;
    }
    const problem = contactProblem(value);
    if (problem !== null) this.errors.push(`userAgentContact: ${show(value)} ${problem}`);
    return value;
  }

  /** The password of the provider at `prefix`, from the one password field it has. */
  password(obj: Record<string, unknown>, prefix: string): Password {
    return readPassword(this, obj, prefix);
  }

  /**
   * The `hostnames` at `field`, each checked by the rules of `hostname.ts` for `service`; an entry
   * may be an object, whose `hostname` is the name (the rest is its provider's to read).
   */
  hostnames(value: unknown, field: string, service: string): string[] {
    if (!Array.isArray(value) || value.length === 0) {
      this.error(field, 'a non-empty list of hostnames like ["myhome.ddns.net"]', value);
      return [];
    }
    const seen = new Set<string>();
    const out: string[] = [];
    for (const [i, entry] of value.entries()) {
      const named = isObject(entry);
      const h = named ? entry.hostname : entry;
      const at = named ? `${field}[${i}].hostname` : `${field}[${i}]`;
      if (typeof h !== "string" || h === "") {
        this.error(at, 'a hostname or group name like "myhome.ddns.net"', h);
        continue;
      }
      const problem = hostnameProblem(h, service);
      if (problem !== null) {
        this.errors.push(`${at}: ${show(h)} ${problem}`);
      } else if (seen.has(h.toLowerCase())) {
        this.errors.push(`${at}: "${h}" is listed twice`);
      } else {
        seen.add(h.toLowerCase());
        out.push(h);
      }
    }
    return out;
  }
}

/** What kind of value `value` is, for a message that must not show it. */
export function kind(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (typeof value === "string") return `a string of ${value.length} characters`;
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/** A found value for a message: lists and objects only by kind, as they may hold a password. */
export function show(value: unknown): string {
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
