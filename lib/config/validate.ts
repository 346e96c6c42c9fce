/**
 * The pieces config validation is made of: a {@link Validator} that reads one field at a time,
 * records every problem with the field's path, what was expected and what was found, and shows
 * what it found by the one rule of `shown.ts` (a secret never, only its kind and length). `mod.ts`
 * reads the top level with it, each kind of provider its own fields (`dyndns2/config.ts`,
 * `dynamip/config.ts`) and `notify/config.ts` the notification sinks.
 *
 * @module
 */
import { contactProblem } from "./contact.ts";
import { type IpSource, parseIpSource } from "../net/detect.ts";
import { type NameServer, parseNameServer } from "../net/dns.ts";
import { formatTimeout, MINUTE, parseDuration } from "./duration.ts";
import { hostnameProblem } from "./hostname.ts";
import { isObject } from "../state/mod.ts";
import type { StartupOptions } from "../daemon/startup.ts";
import { didYouMean, kind, nameLike, show } from "./shown.ts";
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

  /** `field` is not what was `expected`; `secret`: what was found is shown only by its kind. */
  error(field: string, expected: string, found: unknown, secret = false): void {
    this.errors.push(`${field}: expected ${expected}, found ${secret ? kind(found) : show(found)}`);
  }

  /** Every key of `obj` that is not `allowed`, with the nearest allowed one. */
  unknownKeys(obj: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
    for (const key of Object.keys(obj)) {
      if (allowed.includes(key)) continue;
      this.errors.push(
        `${prefix}${nameLike(key) ? key : "(a field name that is not shown)"}: unknown field${
          didYouMean(key, allowed)
        }; known: ${allowed.join(", ")}`,
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
    const match = options.find((o) => o === value);
    if (match !== undefined) return match;
    this.errors.push(
      `${prefix}${key}: expected one of ${options.map((o) => `"${o}"`).join(", ")}, found ${
        show(value)
      }${didYouMean(value, options)}`,
    );
    return fallback;
  }

  /** A duration (`"90s"`) in ms, at least `min` and at most `max`. */
  duration(
    obj: Record<string, unknown>,
    key: string,
    prefix: string,
    fallback: number,
    min: number,
    max = Infinity,
  ): number {
    const value = obj[key];
    if (value === undefined) return fallback;
    const parsed = typeof value === "string" ? parseDuration(value) : null;
    if (parsed === null) {
      this.error(`${prefix}${key}`, 'a duration like "90s", "5m", "1h30m" or "25d"', value);
      return fallback;
    }
    if (parsed < min || parsed > max) {
      const range = max === Infinity
        ? `at least ${formatTimeout(min)}`
        : `between ${formatTimeout(min)} and ${formatTimeout(max)}`;
      this.errors.push(`${prefix}${key}: must be ${range}, found ${show(value)}`);
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

  startup(value: unknown): StartupOptions {
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
