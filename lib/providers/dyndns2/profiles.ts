/**
 * The DynDNS2 services dnsbeat speaks to, as data: each is a {@link ServiceProfile}, and the
 * round, the daemon, the CLI and the messages read everything service-specific from it. Adding a
 * service is adding a profile here (and its emulator support and tests); see the README's
 * "Adding a service".
 *
 * @module
 */

/** What dnsbeat needs to know of one DynDNS2 service. */
export interface ServiceProfile {
  /** The config's `"type"`. */
  readonly configType: string;
  /** The service's name in messages. */
  readonly label: string;
  /** Its update server; null when it has none of its own (the config must give `server`). */
  readonly server: string | null;
  /** The update path below the server. */
  readonly path: string;
  /**
   * How an IPv6 address is sent: `"myip"` appends it to the IPv4 address (`myip=v4,v6`); any
   * other name is a parameter of its own (`myip=v4&myipv6=v6`).
   */
  readonly ipv6Param: string;
  /**
   * The status codes the service documents (its vocabulary). A reply in any other word is not
   * understood, so it stops the provider until the user acts: only a success of the service's own
   * words schedules more updates.
   */
  readonly codes: readonly string[];
  /** The most hosts one request may name; more are sent in several requests. */
  readonly maxHosts: number;
  /**
   * Domains of the service's own address-detection service: while one of its providers is
   * stopped, no provider asks them (No-IP forbids it; dnsbeat does the same for every service).
   */
  readonly detection: readonly string[];
  /** Where its users get help, for messages: "No-IP support (https://www.noip.com/support)". */
  readonly support: string;
  /** Where the account and its hosts are managed. */
  readonly site: string;
  /**
   * A success line naming one of these addresses, when another was sent, is the service's way
   * of refusing the client (DynDNS2's `good 127.0.0.1`): read as `badagent`.
   */
  readonly refusalEcho: readonly string[];
  /**
   * How long resolvers may go on answering a host's previous address after an update (the TTL of
   * the service's records): `status` flags DNS answering another address only when it lasts longer.
   */
  readonly ttlMs: number;
}

/** The TTL assumed for a service that does not document one: a cautious 10 minutes. */
const UNKNOWN_TTL_MS = 10 * 60_000;

/**
 * DynDNS2's return codes, as Dyn's specification lists them (https://help.dyn.com/return-codes/):
 * `dnserr` and `911` are the server's trouble, every other error is fatal until the user acts.
 */
const DYNDNS2_CODES = [
  "good",
  "nochg",
  "badauth",
  "!donator",
  "notfqdn",
  "nohost",
  "numhost",
  "abuse",
  "badagent",
  "dnserr",
  "911",
] as const;

/**
 * No-IP (https://www.noip.com/integrate/response): its update protocol lists exactly `good`,
 * `nochg`, `nohost`, `badauth`, `badagent`, `!donator`, `abuse` and `911`.
 */
export const NOIP: ServiceProfile = {
  configType: "noip",
  label: "No-IP",
  server: "https://dynupdate.no-ip.com",
  path: "/nic/update",
  ipv6Param: "myip",
  codes: ["good", "nochg", "nohost", "badauth", "badagent", "!donator", "abuse", "911"],
  maxHosts: 20,
  detection: ["no-ip.com", "noip.com"],
  support: "No-IP support (https://www.noip.com/support)",
  site: "https://my.noip.com",
  refusalEcho: [],
  ttlMs: 60_000,
};

/**
 * Dynu (https://www.dynu.com/DynamicDNS/IP-Update-Protocol): `api.dynu.com/nic/update` with
 * Basic auth, the IPv6 address in `myipv6`. Its documentation names one host per request, so
 * dnsbeat sends one. Its page lists no return codes of its own: Dyn's are assumed (README).
 */
export const DYNU: ServiceProfile = {
  configType: "dynu",
  label: "Dynu",
  server: "https://api.dynu.com",
  path: "/nic/update",
  ipv6Param: "myipv6",
  codes: DYNDNS2_CODES,
  maxHosts: 1,
  detection: ["dynu.com"],
  support: "Dynu support (https://www.dynu.com/Support)",
  site: "https://www.dynu.com/ControlPanel",
  refusalEcho: [],
  ttlMs: UNKNOWN_TTL_MS,
};

/**
 * Any other DynDNS2 server (Dyn's protocol: `/nic/update`, Basic auth, `myip=v4,v6`, at most 20
 * hosts a request, its return codes, `good 127.0.0.1` for a refused client). `server` is required.
 */
export const DYNDNS2: ServiceProfile = {
  configType: "dyndns2",
  label: "the DynDNS2 server",
  server: null,
  path: "/nic/update",
  ipv6Param: "myip",
  // Dyn's codes, and those other DynDNS2 servers are known to add (each a stop).
  codes: [...DYNDNS2_CODES, "badsys", "!yours", "!active"],
  maxHosts: 20,
  detection: [],
  support: "the service's support",
  site: "the service's website",
  refusalEcho: ["127.0.0.1"],
  ttlMs: UNKNOWN_TTL_MS,
};

/** Every DynDNS2 profile, by the config's `"type"`. */
export const PROFILES: Readonly<Record<string, ServiceProfile>> = {
  [NOIP.configType]: NOIP,
  [DYNU.configType]: DYNU,
  [DYNDNS2.configType]: DYNDNS2,
};
