/**
 * A sink's secrets from files and the environment, as a provider's password takes them
 * (`config/password_field.ts`), so that Docker secrets and systemd credentials can hold them: `urlFile` or
 * `urlEnv` for `url`, `failUrlFile` or `failUrlEnv` for `failUrl`, and a header value written
 * `{ "file": PATH }` or `{ "env": NAME }` (a header's name is free, so its value takes the form).
 * Each is the first line of the file or variable, by the same rules and in the same words.
 *
 * @module
 */
import {
  type Password,
  readSecret,
  secretFromEnv,
  secretFromFile,
} from "../config/password_field.ts";
import { isObject } from "../state/mod.ts";
import type { Validator } from "../config/validate.ts";

/** What stands for a URL that could not be read, so that it is not named twice. */
const UNREAD = "https://unread.invalid/";

/** The secret fields of a sink that take the file and environment forms. */
const SECRET_KEYS = [["url", "URL"], ["failUrl", "URL"]] as const;

/**
 * `notify` with every secret read from its file or variable into its place, for the sink fields'
 * own validation (`notify/config.ts`); problems and warnings go to `v`. Anything that is not a
 * list of objects is left as it is, for that validation to name.
 */
export function readSinkSecrets(v: Validator, notify: unknown): unknown {
  if (!Array.isArray(notify)) return notify;
  return notify.map((entry, i) => isObject(entry) ? withSecrets(v, entry, `notify[${i}]`) : entry);
}

function withSecrets(
  v: Validator,
  entry: Record<string, unknown>,
  field: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...entry };
  for (const [key, what] of SECRET_KEYS) {
    const secret = readSecret(v, entry, field, key, what);
    delete out[`${key}File`];
    delete out[`${key}Env`];
    // A secret that could not be read is named in `v` already; a stand-in keeps it from being
    // named twice (the config is refused either way).
    if (secret !== null) out[key] = secret.value === "" ? UNREAD : secret.value;
  }
  if (isObject(entry.headers)) {
    out.headers = Object.fromEntries(
      Object.entries(entry.headers).map(([name, value]) => [
        name,
        isObject(value) ? headerSecret(v, value, `${field}.headers.${name}`) : value,
      ]),
    );
  }
  return out;
}

/** A header value given as `{ "file": PATH }` or `{ "env": NAME }`, read ("" on a problem). */
function headerSecret(v: Validator, form: Record<string, unknown>, field: string): string {
  const keys = Object.keys(form);
  const [key] = keys;
  const value = key === undefined ? undefined : form[key];
  if (keys.length !== 1 || (key !== "file" && key !== "env") || typeof value !== "string") {
    v.errors.push(
      `${field}: expected a string, { "file": "/path/to/secret" } or { "env": "DNSBEAT_NAME" }`,
    );
    return "";
  }
  const read: Password = key === "file"
    ? secretFromFile(v, value, `${field}.file`, "header value")
    : secretFromEnv(v, value, `${field}.env`, "header value");
  return read.value;
}
