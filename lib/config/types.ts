/**
 * The validated configuration, as the rest of dnsbeat sees it: every default applied, every
 * secret resolved, every duration in milliseconds.
 *
 * @module
 */
import type { NotifyConfig } from "../notify/config.ts";
import type { IpSource } from "../net/detect.ts";
import type { NameServer } from "../net/dns.ts";
import type { ServiceProfile } from "../providers/dyndns2/profiles.ts";
import type { UrlService, Wire } from "../providers/custom/service.ts";
import type { IpFamily } from "../net/ip.ts";
import type { Level } from "../log/mod.ts";
import type { StartupOptions } from "../daemon/startup.ts";

/** A device behind the router: its AAAA record is the detected prefix plus this interface id. */
export interface Ipv6HostId {
  /** The interface id, canonical (`::211:32ff:fe12:3456`). */
  id: string;
  /** How many leading bits of the detected IPv6 address are the prefix (64 by default). */
  prefixLength: number;
}

/** A DynDNS2 account (No-IP, Dynu, any DynDNS2 server) and its hostnames. */
export interface Dyndns2Provider {
  /** Discriminant. */
  kind: "dyndns2";
  /** The service: its name, server, reply variations, detection service. */
  profile: ServiceProfile;
  /**
   * Identity: the account at the server (`dyndns2`, server and username, whatever the profile);
   * keys the provider's entry in the state file.
   */
  key: string;
  /** Unique name, used in messages and `resume NAME`. */
  name: string;
  /** Account or DDNS-key username. */
  username: string;
  /** Resolved password (from `password`, `passwordFile` or `passwordEnv`). */
  password: string;
  /**
   * Where the password came from and how it was read, for `dnsbeat check`, never the password:
   * e.g. `password from /etc/x.secret: first line, 12 characters (stripped: a trailing CR)`.
   */
  passwordSource: string;
  /**
   * Hostnames or group names, sent together when their addresses are the same (at most the
   * profile's `maxHosts` a request).
   */
  hostnames: string[];
  /** The hostnames whose IPv6 address is the detected prefix plus an interface id (absent: none). */
  ipv6HostIds?: Record<string, Ipv6HostId>;
  /** Update server base URL. */
  server: string;
  /**
   * The `server` field as the config writes it (the profile's server when it has none): dnsbeat
   * 0.1 fingerprinted it so, and upgrading its state file compares with that.
   */
  serverAsWritten: string;
  /** Which addresses to keep updated. */
  families: IpFamily[];
  /** How often to check the public address. */
  intervalMs: number;
  /** Send even when unchanged after this long (0 = never). */
  forceRefreshMs: number;
  /**
   * The User-Agent's contact (the config's top-level `userAgentContact`): the last field of
   * No-IP's rule `NameOfUpdateProgram/VersionNumber maintainercontact@domain.com` (default:
   * dnsbeat's maintainers, `CONTACT`).
   */
  userAgentContact: string;
  /**
   * Fingerprint of server, username, password and hostnames (not the profile): a stop holds while
   * it is unchanged.
   */
  fingerprint: string;
}

/** A DynamIP site. */
export interface DynamipProvider {
  /** Discriminant. */
  kind: "dynamip";
  /** Identity: `dynamip`, server and SiteID; keys the provider's entry in the state file. */
  key: string;
  /** Unique name. */
  name: string;
  /** DynamIP login (SiteID). */
  siteId: string;
  /** Resolved password. */
  password: string;
  /** Where the password came from, as for a DynDNS2 provider. */
  passwordSource: string;
  /** `auto`: let the server take the request's address; `detect`: send the detected address. */
  ip: "auto" | "detect";
  /** Server base URL. */
  server: string;
  /** The `server` field as the config writes it, as for a DynDNS2 provider. */
  serverAsWritten: string;
  /** Fingerprint of credentials and server. */
  fingerprint: string;
}

/**
 * A Cloudflare API token and the DNS records it keeps updated (`"type": "cloudflare"`): one A or
 * AAAA record per hostname and family, its address changed, nothing else.
 */
export interface CloudflareProvider {
  /** Discriminant. */
  kind: "cloudflare";
  /**
   * Identity: `cloudflare`, the API base and a digest of the token (never the token); keys the
   * provider's entry in the state file, so a rename keeps it.
   */
  key: string;
  /** Unique name, used in messages and `resume NAME`. */
  name: string;
  /**
   * The resolved API token (from `token`, `tokenFile` or `tokenEnv`), where every provider keeps
   * its secret: `check`, the masks and the tests read it there.
   */
  password: string;
  /** Where the token came from and how it was read, for `dnsbeat check`, never the token. */
  passwordSource: string;
  /** The records' names. */
  hostnames: string[];
  /** The zone as the config gives it (a name or a zone id), or null: found from each hostname. */
  zone: string | null;
  /** The API base URL (Cloudflare's, or the emulator's in tests). */
  server: string;
  /** Which records to keep updated: A (`ipv4`), AAAA (`ipv6`) or both. */
  families: IpFamily[];
  /** How often to check the public address. */
  intervalMs: number;
  /** The User-Agent's contact (the config's top-level `userAgentContact`). */
  userAgentContact: string;
  /** Fingerprint of server, token, zone and hostnames: a stop holds while it is unchanged. */
  fingerprint: string;
}

/** An account at a service that updates with one HTTP request (`"type": "custom"`). */
export interface CustomProvider {
  /** Discriminant. */
  kind: "custom";
  /** Its config `"type"`: `custom`, or a built-in service's. */
  configType: string;
  /** The service as data: its request template, the words of its reply, its detection hosts. */
  service: UrlService;
  /** The service, checked: what its requests are built and its replies read by. */
  wire: Wire;
  /**
   * Identity: `custom`, the URL's server, and the account (its username; else a digest of its
   * token or password; else its hostnames); keys the provider's entry in the state file.
   */
  key: string;
  /** Unique name. */
  name: string;
  /** The account's username; empty when it has none. */
  username: string;
  /** Resolved password; empty when it has none. */
  password: string;
  /** Where the password came from, as for a DynDNS2 provider; empty when it has none. */
  passwordSource: string;
  /** Resolved token (`token`, `tokenFile` or `tokenEnv`); empty when it has none. */
  token: string;
  /** Where the token came from, never the token; empty when it has none. */
  tokenSource: string;
  /** The hostnames it keeps up to date. */
  hostnames: string[];
  /** The URL's server (`https://dyn.example.org`): its detection hosts are off limits in a stop. */
  server: string;
  /** Which addresses to keep updated. */
  families: IpFamily[];
  /** How often to check the public address. */
  intervalMs: number;
  /** Send even when unchanged after this long (0 = never). */
  forceRefreshMs: number;
  /** The User-Agent's contact, as for a DynDNS2 provider. */
  userAgentContact: string;
  /** Fingerprint of the request and the credentials: a stop holds while it is unchanged. */
  fingerprint: string;
}

/** Any provider. */
export type Provider = Dyndns2Provider | DynamipProvider | CustomProvider | CloudflareProvider;

/** The whole validated config. */
export interface Config {
  /** The file it was read from. */
  path: string;
  /** State file path. */
  statePath: string;
  /** IPv4 sources, in order. */
  ipv4Sources: IpSource[];
  /** IPv6 sources, in order. */
  ipv6Sources: IpSource[];
  /** Where notifications go, and when no update for a while is `failing`. */
  notify: NotifyConfig;
  /** The name server of dnsbeat's own lookups (the hosts' records); null: the system's. */
  resolver: NameServer | null;
  /** Per-request timeout of IP detection and updates. */
  timeoutMs: number;
  /** Log level. */
  logLevel: Level;
  /** Start-up gating. */
  startup: StartupOptions;
  /** Providers, in file order. */
  providers: Provider[];
}
