/**
 * What the DynDNS2 round (`round.ts`) needs of a provider: hostnames at an account, kept pointing
 * at the detected addresses by HTTP requests whose reply says, per host, how it went. A DynDNS2
 * provider is one ({@link dyndns2Account}); a `custom` provider is another (`custom/account.ts`),
 * so both keep the same rules: sent only on change, a request written down before it leaves,
 * every error a stop kept in the state, a wait of at least 30 minutes after server trouble.
 *
 * @module
 */
import type { Dyndns2Provider, Ipv6HostId } from "../../config/types.ts";
import type { IpFamily } from "../../net/ip.ts";
import type { Redactor } from "../../log/redact.ts";
import type { Addresses } from "../../state/mod.ts";
import { VERSION } from "../../version.ts";
import {
  buildRequest,
  codeInfo,
  maskOf,
  type Outcome,
  parseResponse,
  type ReplyCode,
  requestUser,
  userAgent,
} from "./protocol.ts";
import { addressList } from "../../state/parts.ts";

/** One HTTP request of an update. */
export interface UpdateHttp {
  /** The URL; it may hold secrets (a token), so it is never shown. */
  url: string;
  /** `GET` unless the service wants another. */
  method: string;
  /** Request headers. */
  headers: Record<string, string>;
  /** The body, if any. */
  body?: string;
}

/** A provider as the DynDNS2 round sees it. */
export interface HostsAccount {
  /** Identity: keys its entry in the state file. */
  key: string;
  /** Its name, in messages and `resume NAME`. */
  name: string;
  /** Of what its server refuses: a stop holds while it is unchanged. */
  fingerprint: string;
  /** Who the account is, in messages ("for USER"); empty when it has no username. */
  username: string;
  /** The hostnames it keeps up to date. */
  hostnames: string[];
  /** The hostnames whose IPv6 address is the detected prefix plus an interface id. */
  ipv6HostIds?: Record<string, Ipv6HostId>;
  /** Which addresses it keeps up to date. */
  families: IpFamily[];
  /** How often the address is checked. */
  intervalMs: number;
  /** An unchanged address is sent again after this long (0: never). */
  forceRefreshMs: number;
  /** Its config `"type"`, as notifications name it. */
  configType: string;
  /** The service's name in messages. */
  label: string;
  /** The most hosts one request may name. */
  maxHosts: number;
  /** Whether a request sends one family's address only: then a request per family. */
  oneFamily: boolean;
  /** How long resolvers may answer a host's previous address after an update. */
  ttlMs: number;
  /** Why every host stops after an error, in words: `a DynDNS2 client must send nothing`. */
  stopRule: string;
  /** What a reply code means and what to do about it, for messages. */
  code(code: string): ReplyCode;
  /** The request that sends `addresses` for `hosts`. */
  request(hosts: readonly string[], addresses: Addresses): UpdateHttp;
  /** What a reply to a request sending `addresses` means for each of `hosts`, in order. */
  read(
    reply: { status: number; body: string; retryAfter?: string },
    hosts: readonly string[],
    addresses: Addresses,
  ): Outcome[];
  /** Masks the account's secrets in any text a server sent. */
  mask: Redactor;
}

/**
 * The User-Agent DynDNS2 services require, for this machine: No-IP's rule
 * `NameOfUpdateProgram/VersionNumber maintainercontact@domain.com` (see `config/contact.ts`), with
 * `contact` (the config's `userAgentContact`) as its last field.
 */
export function machineUserAgent(contact: string): string {
  let release: string | null = null;
  try {
    release = Deno.osRelease();
  } catch {
    release = null;
  }
  return userAgent(Deno.build.os, Deno.build.arch, release, VERSION, contact);
}

/** A DynDNS2 provider as the round sees it: its profile's words, DynDNS2's requests and replies. */
export function dyndns2Account(p: Dyndns2Provider): HostsAccount {
  const users = p.hostnames.map((host) => requestUser(p.profile, p.username, [host]));
  const mask = maskOf([p.username, ...users], p.password);
  return {
    key: p.key,
    name: p.name,
    fingerprint: p.fingerprint,
    username: p.username,
    hostnames: p.hostnames,
    ...(p.ipv6HostIds ? { ipv6HostIds: p.ipv6HostIds } : {}),
    families: p.families,
    intervalMs: p.intervalMs,
    forceRefreshMs: p.forceRefreshMs,
    configType: p.profile.configType,
    label: p.profile.label,
    maxHosts: p.profile.maxHosts,
    oneFamily: p.profile.oneFamilyPerRequest,
    ttlMs: p.profile.ttlMs,
    stopRule: "a DynDNS2 client must send nothing until you act",
    code: (code) => codeInfo(p.profile, code),
    request: (hosts, addresses) => ({
      method: "GET",
      ...buildRequest(p.profile, {
        server: p.server,
        username: p.username,
        password: p.password,
        hostnames: hosts,
        ipv4: addresses.ipv4 ?? undefined,
        ipv6: addresses.ipv6 ?? undefined,
        userAgent: machineUserAgent(p.userAgentContact),
      }),
    }),
    // A success that names no address (deSEC's `good`) confirms the addresses sent.
    read: (reply, hosts, addresses) =>
      parseResponse(p.profile, reply, hosts, mask).map((o) =>
        o.kind === "success" && o.ips.length === 0 ? { ...o, ips: addressList(addresses) } : o
      ),
    mask,
  };
}
