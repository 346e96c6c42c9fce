/**
 * Who a provider is, for the state file: its identity keys its entry (so a rename keeps it), and
 * a fingerprint of its credentials and hostnames tells whether a stop was given under the config
 * that is loaded now.
 *
 * @module
 */

/**
 * A provider's identity: its type, its server and its account (a DynDNS2 username, a DynamIP
 * SiteID). Renaming a provider keeps it.
 */
export function providerKey(type: string, server: string, account: string): string {
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
