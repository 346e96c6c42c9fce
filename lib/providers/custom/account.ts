/**
 * A `custom` provider as the DynDNS2 round sees it (`dyndns2/account.ts`): the round, its rules
 * and its state entry are DynDNS2's; the request is built from the service's template and the
 * reply read by its regular expressions (`protocol.ts`).
 *
 * @module
 */
import type { CustomProvider } from "../../config/types.ts";
import { createRedactor } from "../../log/redact.ts";
import { type HostsAccount, machineUserAgent } from "../dyndns2/account.ts";
import { buildRequest, codeOf, readReply } from "./protocol.ts";

/** How long resolvers may answer a host's old address, when the service does not say: 10 min. */
const UNKNOWN_TTL_MS = 10 * 60_000;

/** The round's view of `p`. */
export function customAccount(p: CustomProvider): HostsAccount {
  const mask = createRedactor([
    p.password,
    p.token,
    ...(p.username !== "" && p.password !== "" ? [`${p.username}:${p.password}`] : []),
  ]);
  return {
    key: p.key,
    name: p.name,
    fingerprint: p.fingerprint,
    username: p.username,
    hostnames: p.hostnames,
    families: p.families,
    intervalMs: p.intervalMs,
    forceRefreshMs: p.forceRefreshMs,
    configType: p.configType,
    label: p.service.label,
    maxHosts: p.wire.hostList === null ? 1 : Infinity,
    oneFamily: p.wire.oneFamily,
    ttlMs: UNKNOWN_TTL_MS,
    stopRule: "dnsbeat sends the service nothing until you act",
    code: codeOf,
    request: (hosts, addresses) =>
      buildRequest(p.wire, {
        hostnames: hosts,
        addresses,
        username: p.username,
        password: p.password,
        token: p.token,
        userAgent: machineUserAgent(p.userAgentContact),
      }),
    read: (reply, hosts, addresses) => readReply(p.wire, reply, hosts, addresses, mask),
    mask,
  };
}
