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
  /** The parameter of the IPv4 address (`myip` in Dyn's protocol). */
  readonly ipv4Param: string;
  /**
   * How an IPv6 address is sent: the IPv4 parameter's name appends it to the IPv4 address
   * (`myip=v4,v6`); any other name is a parameter of its own (`myip=v4&myipv6=v6`).
   */
  readonly ipv6Param: string;
  /**
   * What a request sends, in a family's own parameter, for a family it does not carry: null
   * sends nothing (the server keeps that record). deSEC deletes a record whose family a request
   * leaves out, so it is told `preserve`.
   */
  readonly keepValue: string | null;
  /**
   * True when the IPv4 and the IPv6 address must go in separate requests (Hurricane Electric):
   * each request then carries one family, and only a family whose address changed is sent.
   */
  readonly oneFamilyPerRequest: boolean;
  /**
   * True when each request authenticates as the host it updates, with that host's key as the
   * password (Hurricane Electric: "the username is also the hostname"): one host a request, and
   * the config's `username` may be left out (it then names the account by the first hostname).
   */
  readonly hostAsUsername: boolean;
  /**
   * True when a success names the address (`good 1.2.3.4`); false when the word stands alone
   * (deSEC's `good`), so the addresses sent are the ones confirmed.
   */
  readonly echoesAddress: boolean;
  /**
   * True when the reply is one word for the whole request, which the server applies to all its
   * hosts at once (deSEC); false for one line per host (Dyn's protocol).
   */
  readonly oneReplyPerRequest: boolean;
  /**
   * HTTP statuses that carry a code of the service's vocabulary, read before any other rule
   * (deSEC answers an unknown hostname with HTTP 404 `nohost`).
   */
  readonly statusCodes: Readonly<Record<number, string>>;
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

/** What a Dyn-style service is: both families in one request, a line per host echoing the address. */
const DYN_STYLE = {
  ipv4Param: "myip",
  keepValue: null,
  oneFamilyPerRequest: false,
  hostAsUsername: false,
  echoesAddress: true,
  oneReplyPerRequest: false,
  statusCodes: {},
} as const;

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
  ...DYN_STYLE,
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
  ...DYN_STYLE,
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
  ...DYN_STYLE,
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

/**
 * Hurricane Electric's free DNS (https://dns.he.net/docs.html, quoted in ddclient's commit ecf935a
 * and `nic_henet_update`): `dyn.dns.he.net/nic/update` with Basic auth whose username is the
 * hostname and whose password is that record's dynamic DNS key; "the IPv4 and IPv6 addresses must
 * be updated in separate calls"; one host a request. Its words (ddclient's table): `good`,
 * `nochg`, `badauth`, `nohost`, `abuse`, `badsys`, and `interval` when a record is updated too
 * often (https://github.com/go-acme/lego/pull/1416: more than 10 times in 2 minutes), which waits.
 * Whether it also sends `911`, `dnserr` or `notfqdn` is not documented: such a reply stops
 * (README). Detection: `checkip.dns.he.net` (ddclient, inadyn). TTL: set per record, not
 * documented.
 */
export const HE: ServiceProfile = {
  ...DYN_STYLE,
  configType: "he",
  label: "Hurricane Electric",
  server: "https://dyn.dns.he.net",
  path: "/nic/update",
  ipv6Param: "myip",
  oneFamilyPerRequest: true,
  hostAsUsername: true,
  codes: ["good", "nochg", "badauth", "nohost", "abuse", "badsys", "interval"],
  maxHosts: 1,
  detection: ["he.net"],
  support: "Hurricane Electric support (https://dns.he.net)",
  site: "https://dns.he.net",
  refusalEcho: [],
  ttlMs: UNKNOWN_TTL_MS,
};

/**
 * deSEC (https://desec.readthedocs.io/en/latest/dyndns/update-api.html, and its server code
 * `desec-io/desec-stack` `api/desecapi/views/dyndns.py`): `update.dedyn.io` with Basic auth
 * (username: the domain name, password: the token secret), `myipv4` and `myipv6` in one request,
 * a family left out deleted unless it says `preserve`; several hostnames of one domain in one
 * atomic request. The meaning is in the HTTP status: 200 `good` (always: there is no `nochg`),
 * 401 `badauth`, 404 `nohost`, 400 a malformed request, 429 with `Retry-After`. Limits
 * (https://desec.readthedocs.io/en/latest/rate-limits.html): 2 updates per 2 minutes per domain.
 * Records get a TTL of 60 seconds. Detection: `checkip{,v4,v6}.dedyn.io`.
 */
export const DESEC: ServiceProfile = {
  configType: "desec",
  label: "deSEC",
  server: "https://update.dedyn.io",
  path: "/",
  ipv4Param: "myipv4",
  ipv6Param: "myipv6",
  keepValue: "preserve",
  oneFamilyPerRequest: false,
  hostAsUsername: false,
  echoesAddress: false,
  oneReplyPerRequest: true,
  statusCodes: { 404: "nohost" },
  codes: ["good", "badauth", "nohost"],
  // The documentation gives no limit of names a request; Dyn's 20 keeps requests short.
  maxHosts: 20,
  detection: ["dedyn.io", "desec.io"],
  support: "deSEC support (support@desec.io)",
  site: "https://desec.io",
  refusalEcho: [],
  ttlMs: 60_000,
};

/** Every DynDNS2 profile, by the config's `"type"`. */
export const PROFILES: Readonly<Record<string, ServiceProfile>> = {
  [NOIP.configType]: NOIP,
  [DYNU.configType]: DYNU,
  [DYNDNS2.configType]: DYNDNS2,
  [HE.configType]: HE,
  [DESEC.configType]: DESEC,
};
