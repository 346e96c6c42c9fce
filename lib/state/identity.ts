/**
 * Who a provider is, for the state file: its identity keys its entry (so a rename keeps it), and
 * a fingerprint of what the server refused tells whether a stop was given under the config that
 * is loaded now. Both belong to the account at the server: a DynDNS2 provider's `"type"` (the
 * service profile: `noip`, `dynu`, `dyndns2`) is in neither, so choosing another profile for the
 * same account neither lifts its stop nor loses its state.
 *
 * @module
 */

/**
 * A provider's identity: its kind (`dyndns2` or `dynamip`, never a DynDNS2 profile), its server
 * and its account (a DynDNS2 username, a DynamIP SiteID). Renaming a provider keeps it.
 */
export function providerKey(kind: string, server: string, account: string): string {
  return `${kind} ${server} ${account}`;
}

/** What a DynDNS2 server refuses: the account at the server, its password and its hostnames. */
export interface Dyndns2Refusable {
  /** The server's base URL. */
  server: string;
  /** The account. */
  username: string;
  /** Its password. */
  password: string;
  /** The hostnames (their order does not matter). */
  hostnames: readonly string[];
}

/**
 * The fingerprint of a DynDNS2 provider: a stop holds while it is unchanged. `label` is
 * `dyndns2`; it is there for the state files of older builds, which put the profile's type
 * (`noip`, `dynu`) in its place, so that upgrading them can tell which stops still hold.
 */
export function dyndns2Fingerprint(p: Dyndns2Refusable, label = "dyndns2"): Promise<string> {
  return fingerprint([label, p.server, p.username, p.password, [...p.hostnames].sort()]);
}

/** The fingerprint of a DynamIP site: a stop holds while it is unchanged. */
export function dynamipFingerprint(
  p: { server: string; siteId: string; password: string },
): Promise<string> {
  return fingerprint(["dynamip", p.server, p.siteId, p.password]);
}

/** SHA-256 (hex, 32 chars) of the values whose change lifts a stop. */
export async function fingerprint(
  values: readonly (string | readonly string[])[],
): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(values));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
