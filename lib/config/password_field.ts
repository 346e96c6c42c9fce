/**
 * Secret fields: a provider's password is exactly one of `password` (inline), `passwordFile` or
 * `passwordEnv` (a Cloudflare token likewise `token`, `tokenFile`, `tokenEnv`), and every other
 * secret (a sink's URL, a header value) takes the same forms. A
 * file or a variable gives its first line (`password_line.ts`). A secret every user can read (the
 * file, or the config holding an inline password) is a warning. What `dnsbeat check` may say of a
 * secret is kept with it; the secret itself is in no message.
 *
 * @module
 */
import { characters, describePasswordLine, passwordLine } from "./password_line.ts";
import type { Validator } from "./validate.ts";

/** Environment variables a `passwordEnv` may name (the binary may read no others). */
const ENV_PREFIX = "DNSBEAT_";

/** A provider's password, and where it came from (for `dnsbeat check`, without the password). */
export interface Password {
  /** The password. */
  value: string;
  /** E.g. `password from /etc/x.secret: first line, 12 characters`; empty when it has errors. */
  source: string;
}

const NO_PASSWORD: Password = { value: "", source: "" };

/** Whether a file of `mode` can be read by every user (the same rule for every secret). */
export function worldReadable(mode: number | null): boolean {
  return mode !== null && (mode & 0o004) !== 0;
}

/** The password of the provider entry `obj` at `prefix`, problems recorded in `v`. */
export function readPassword(v: Validator, obj: Record<string, unknown>, prefix: string): Password {
  return readProviderSecret(v, obj, prefix, "password");
}

/**
 * The provider secret `key` (`password`, `token`) of the entry `obj` at `prefix`: exactly one of
 * `KEY`, `KEYFile`, `KEYEnv`; inline in a config every user can read is a warning.
 */
export function readProviderSecret(
  v: Validator,
  obj: Record<string, unknown>,
  prefix: string,
  key: string,
): Password {
  const secret = readSecret(v, obj, prefix, key, key, true);
  if (secret !== null) return secret;
  v.errors.push(
    `${prefix}: expected exactly one of "${key}", "${key}File", "${key}Env", found none`,
  );
  return NO_PASSWORD;
}

/**
 * The secret `key` of the entry `obj` at `prefix` (`what` names it in messages: "password",
 * "URL"), from the one of `KEY`, `KEYFile` and `KEYEnv` it has; null when it has none of them.
 * A file or a variable gives its first line, by the same rules and in the same words for every
 * secret. `provider`: a provider's secret, whose inline form in a config every user can read is
 * a warning.
 */
export function readSecret(
  v: Validator,
  obj: Record<string, unknown>,
  prefix: string,
  key: string,
  what: string,
  provider = false,
): Password | null {
  const keys = [key, `${key}File`, `${key}Env`];
  const given = keys.filter((k) => obj[k] !== undefined);
  if (given.length === 0) return null;
  if (given.length > 1) {
    v.errors.push(
      `${prefix}: expected exactly one of ${keys.map((k) => `"${k}"`).join(", ")}, found ${
        given.join(" and ")
      }`,
    );
    return NO_PASSWORD;
  }
  const field = `${prefix}.${given[0]}`;
  const value = obj[given[0]!];
  if (typeof value !== "string" || value === "") {
    v.error(field, "a non-empty string", value, given[0] === key);
    return NO_PASSWORD;
  }
  if (given[0] === key) {
    return provider
      ? inline(v, value, prefix, key)
      : { value, source: `${what} inline in the config` };
  }
  return given[0] === `${key}Env`
    ? secretFromEnv(v, value, field, what)
    : secretFromFile(v, value, field, what);
}

function inline(v: Validator, value: string, prefix: string, key: string): Password {
  const path = v.configPath;
  if (worldReadable(v.deps.fileMode?.(path) ?? null)) {
    v.warnings.push(
      `${prefix}.${key}: the config can be read by every user and holds this ${key} inline; run: chmod 600 ${path}`,
    );
  }
  return { value, source: `${key} inline in the config: ${characters(value)}` };
}

/** The `what` on the first line of the variable `name` (it must start with {@link ENV_PREFIX}). */
export function secretFromEnv(v: Validator, name: string, field: string, what: string): Password {
  if (!new RegExp(`^${ENV_PREFIX}[A-Za-z0-9_]+$`).test(name)) {
    v.errors.push(
      `${field}: expected the name of an environment variable starting with ${ENV_PREFIX} (dnsbeat may read no other variables), like "DNSBEAT_NOIP_PASSWORD"; ${
        hidden(what)
      }`,
    );
    return NO_PASSWORD;
  }
  const text = v.deps.env(name);
  if (!text) {
    v.errors.push(
      `${field}: the variable ${name} is not set or empty; set it to the ${what} in dnsbeat's environment`,
    );
    return NO_PASSWORD;
  }
  return firstLine(v, text, field, `the variable ${name}`, what);
}

/** The `what` on the first line of the file at `path`; a file every user can read is a warning. */
export function secretFromFile(v: Validator, path: string, field: string, what: string): Password {
  // A path is shown; anything else may be the secret typed into the wrong field.
  const shown = path.includes("/") ? path : "the file it names";
  const read = v.deps.readSecretFile(path);
  if ("error" in read) {
    v.errors.push(
      `${field}: ${shown}: ${read.error}${path.includes("/") ? "" : `; ${hidden(what)}`}`,
    );
    return NO_PASSWORD;
  }
  if (read.worldReadable) {
    v.warnings.push(`${field}: ${shown} can be read by every user; run: chmod 600 ${shown}`);
  }
  return firstLine(v, read.text, field, shown, what);
}

/** Said instead of a value that may be a secret typed into the wrong field. */
function hidden(what: string): string {
  return `the value is not shown, in case it is the ${what} itself`;
}

/** The `what` on the first line of `text`, read from `origin` for `field`. */
function firstLine(
  v: Validator,
  text: string,
  field: string,
  origin: string,
  what: string,
): Password {
  const line = passwordLine(text);
  if (line.value !== "") {
    return { value: line.value, source: describePasswordLine(origin, line, what) };
  }
  v.errors.push(
    line.blank
      ? `${field}: ${origin} is empty or blank; put the ${what} on its first line`
      : `${field}: the first line of ${origin} is empty: dnsbeat reads the ${what} from the first line only; put the ${what} on the first line`,
  );
  return NO_PASSWORD;
}
