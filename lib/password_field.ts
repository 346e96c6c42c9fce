/**
 * A provider's password fields: exactly one of `password` (inline), `passwordFile` or
 * `passwordEnv`. A file or a variable gives its first line (`password_line.ts`). A secret every
 * user can read (the password file, or the config holding an inline password) is a warning. What
 * `dnsbeat check` may say of the password is kept with it; the password itself is in no message.
 *
 * @module
 */
import { characters, describePasswordLine, passwordLine } from "./password_line.ts";
import type { Validator } from "./validate.ts";

/** Environment variables a `passwordEnv` may name (the binary may read no others). */
export const ENV_PREFIX = "DNSBEAT_";
/** Said instead of a value that may be a password typed into the wrong field. */
const HIDDEN = "the value is not shown, in case it is the password itself";

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
  const given = ["password", "passwordFile", "passwordEnv"].filter((k) => obj[k] !== undefined);
  if (given.length !== 1) {
    v.errors.push(
      `${prefix}: expected exactly one of "password", "passwordFile", "passwordEnv", found ${
        given.length ? given.join(" and ") : "none"
      }`,
    );
    return NO_PASSWORD;
  }
  const key = given[0]!;
  const value = obj[key];
  if (typeof value !== "string" || value === "") {
    v.error(`${prefix}.${key}`, "a non-empty string", value, key === "password");
    return NO_PASSWORD;
  }
  if (key === "password") return inline(v, value, prefix);
  if (key === "passwordEnv") return fromEnv(v, value, prefix);
  return fromFile(v, value, prefix);
}

function inline(v: Validator, value: string, prefix: string): Password {
  const path = v.configPath;
  if (worldReadable(v.deps.fileMode?.(path) ?? null)) {
    v.warnings.push(
      `${prefix}.password: the config can be read by every user and holds this password inline; run: chmod 600 ${path}`,
    );
  }
  return { value, source: `password inline in the config: ${characters(value)}` };
}

function fromEnv(v: Validator, name: string, prefix: string): Password {
  if (!new RegExp(`^${ENV_PREFIX}[A-Za-z0-9_]+$`).test(name)) {
    v.errors.push(
      `${prefix}.passwordEnv: expected the name of an environment variable starting with ${ENV_PREFIX} (dnsbeat may read no other variables), like "DNSBEAT_NOIP_PASSWORD"; ${HIDDEN}`,
    );
    return NO_PASSWORD;
  }
  const text = v.deps.env(name);
  if (!text) {
    v.errors.push(
      `${prefix}.passwordEnv: the variable ${name} is not set or empty; set it to the password in dnsbeat's environment`,
    );
    return NO_PASSWORD;
  }
  return firstLine(v, text, `${prefix}.passwordEnv`, `the variable ${name}`);
}

function fromFile(v: Validator, path: string, prefix: string): Password {
  // A path is shown; anything else may be the password typed into the wrong field.
  const shown = path.includes("/") ? path : "the file it names";
  const read = v.deps.readSecretFile(path);
  if ("error" in read) {
    v.errors.push(
      `${prefix}.passwordFile: ${shown}: ${read.error}${path.includes("/") ? "" : `; ${HIDDEN}`}`,
    );
    return NO_PASSWORD;
  }
  if (read.worldReadable) {
    v.warnings.push(
      `${prefix}.passwordFile: ${shown} can be read by every user; run: chmod 600 ${shown}`,
    );
  }
  return firstLine(v, read.text, `${prefix}.passwordFile`, shown);
}

/** The password on the first line of `text`, read from `origin` for `field`. */
function firstLine(v: Validator, text: string, field: string, origin: string): Password {
  const line = passwordLine(text);
  if (line.value !== "") return { value: line.value, source: describePasswordLine(origin, line) };
  v.errors.push(
    line.blank
      ? `${field}: ${origin} is empty or blank; put the password on its first line`
      : `${field}: the first line of ${origin} is empty: dnsbeat reads the password from the first line only; put the password on the first line`,
  );
  return NO_PASSWORD;
}
