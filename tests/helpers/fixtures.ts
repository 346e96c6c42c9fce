/**
 * The accounts, addresses and config entries the tests share: the emulator's No-IP login and
 * DynamIP site, the addresses its `/ip` echoes, the DynDNS2 replies that stop updates (from the
 * protocol's documentation, not from dnsbeat's tables), and provider entries as a user writes them
 * in the config file.
 *
 * @module
 */

/** The No-IP login every sandbox knows. */
export const NOIP_USER = "hard@example.com";
/** The No-IP hosts every sandbox knows. */
export const NOIP_HOSTS: readonly string[] = ["a.ddns.net", "b.ddns.net"];
/** The DynamIP site every sandbox knows. */
export const SITE_ID = "George";
/** The IPv4 address the emulator's `/ip` reports at first. */
export const ECHO_IP = "81.2.69.142";
/** The IPv6 address the emulator's `/ip?family=6` reports, where a test gives it one. */
export const ECHO_IPV6 = "2a02:1810::1";
/** The address a test moves the emulator's echo to, to make a change. */
export const NEW_IP = "81.2.69.160";
/** A moment for tests that tell dnsbeat the time (`DNSBEAT_NOW`): 2026-11-23 12:00 UTC. */
export const T0: number = Date.UTC(2026, 10, 23, 12, 0, 0);

/**
 * DynDNS2 replies after which a client must send nothing until the user acts: the account and
 * host codes of the protocol, a code no service documents, and a page that is no reply at all.
 */
export const STOP_REPLIES: readonly string[] = [
  "nohost",
  "badauth",
  "badagent",
  "!donator",
  "abuse",
  "notfqdn",
  "numhost",
  "badsys",
  "!yours",
  "!active",
  "dnserr",
  "update rejected",
  "<html>Proxy error</html>",
];

/** A No-IP provider entry as a user writes it (`type`, `username`, `password`, `hostnames`). */
export function noipProvider(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "noip",
    username: NOIP_USER,
    password: "fixture-noip-pw",
    hostnames: [NOIP_HOSTS[0]],
    ...overrides,
  };
}

/** A DynamIP provider entry as a user writes it (`type`, `siteId`, `password`). */
export function dynamipProvider(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: "dynamip", siteId: SITE_ID, password: "fixture-dynamip-pw", ...overrides };
}
