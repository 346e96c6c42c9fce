/**
 * A DynamIP provider's entry in the config (`"type": "dynamip"`): its fields, their defaults and
 * their validation.
 *
 * @module
 */
import type { DynamipProvider } from "../../config/types.ts";
import { dynamipFingerprint, providerKey } from "../../state/identity.ts";
import { readPassword } from "../../config/password_field.ts";
import type { Validator } from "../../config/validate.ts";
import { DEFAULT_SERVER } from "./protocol.ts";

/** The fields a DynamIP provider may have. */
export const DYNAMIP_KEYS: readonly string[] = [
  "type",
  "name",
  "siteId",
  "password",
  "passwordFile",
  "passwordEnv",
  "ip",
  "server",
];

/** Validates the entry of a DynamIP provider at `prefix` (e.g. `providers[1]`). */
export async function parseDynamip(
  v: Validator,
  entry: Record<string, unknown>,
  prefix: string,
): Promise<DynamipProvider> {
  const before = v.errors.length;
  v.unknownKeys(entry, DYNAMIP_KEYS, `${prefix}.`);
  const name = v.string(entry, "name", `${prefix}.`, "dynamip");
  const siteId = v.string(entry, "siteId", `${prefix}.`);
  const password = readPassword(v, entry, prefix);
  const ip = v.oneOf(entry, "ip", `${prefix}.`, ["auto", "detect"], "auto");
  const server = v.url(entry, "server", `${prefix}.`, DEFAULT_SERVER);
  const fp = v.errors.length === before
    ? await dynamipFingerprint({ server, siteId, password: password.value })
    : "";
  return {
    kind: "dynamip",
    key: providerKey("dynamip", server, siteId),
    name,
    siteId,
    password: password.value,
    passwordSource: password.source,
    ip,
    server,
    serverAsWritten: typeof entry.server === "string" ? entry.server : server,
    fingerprint: fp,
  };
}
