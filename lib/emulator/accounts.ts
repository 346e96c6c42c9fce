/**
 * The emulator's accounts file: the No-IP accounts and DynamIP sites it knows, and the public
 * address it pretends a loopback client has.
 *
 * ```json
 * { "noip": [{ "username": "demo@example.com", "password": "demo-secret",
 *              "hosts": ["home.ddns.net"], "groups": { "mygroup": ["home.ddns.net"] },
 *              "donator": false }],
 *   "dynamip": [{ "siteId": "George", "password": "Test", "expiry": "2027-04-02T17:24:41Z" }],
 *   "cloudflare": { "zones": [{ "name": "example.com", "records": [
 *                     { "type": "A", "name": "home.example.com", "content": "192.0.2.1" }] }],
 *                   "tokens": [{ "token": "cf-token", "zones": ["example.com"] }] },
 *   "echoIp": { "ipv4": "81.2.69.142", "ipv6": "2a02:1810::1" } }
 * ```
 *
 * @module
 */
import { parseIp } from "../net/ip.ts";
import type { CloudflareAccount, CloudflareRecord, CloudflareZone } from "./cloudflare.ts";

/** A No-IP account. */
export interface NoipAccount {
  /** The login, matched exactly. */
  username: string;
  /** The password, matched exactly. */
  password: string;
  /** Its hostnames, lower case. */
  hosts: string[];
  /** Group name (lower case) to member hostnames; every member is one of {@link hosts}. */
  groups: Record<string, string[]>;
  /** Whether paid features (`offline=YES`) are allowed. */
  donator: boolean;
}

/** A DynamIP site. */
export interface DynamipAccount {
  /** The login, matched exactly. */
  siteId: string;
  /** The password, matched exactly. */
  password: string;
  /** When the account expires, epoch milliseconds. */
  expiry: number;
}

/** The addresses a client on loopback is told it has. */
export interface EchoIp {
  /** Public IPv4 address. */
  ipv4: string;
  /** Public IPv6 address, or `null` for an IPv4-only network. */
  ipv6: string | null;
}

/** The parsed accounts file. */
export interface Accounts {
  /** No-IP accounts. */
  noip: NoipAccount[];
  /** DynamIP sites. */
  dynamip: DynamipAccount[];
  /** Cloudflare's zones and API tokens (none when absent). */
  cloudflare?: CloudflareAccount;
  /** What `/ip` and a loopback source address turn into. */
  echoIp: EchoIp;
}

/** The echo address when the file has none (a public address of the UK). */
export const DEFAULT_ECHO_IP: EchoIp = { ipv4: "81.2.69.142", ipv6: null };

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Validates a parsed accounts file. `noip`, `dynamip`, `cloudflare` and `echoIp` are optional
 * (empty lists, {@link DEFAULT_ECHO_IP}); unknown keys are refused. The error names the field, e.g.
 * `noip[0].groups.mygroup[1]: "x.ddns.net" is not one of this account's hosts`.
 */
export function parseAccounts(json: unknown): Accounts | { error: string } {
  const top = record(json, "the accounts file", ["noip", "dynamip", "cloudflare", "echoIp"]);
  if ("error" in top) return top;
  const { noip: noipJson = [], dynamip: dynamipJson = [], echoIp: echoJson } = top.value;
  const cloudflare = top.value.cloudflare === undefined
    ? undefined
    : parseCloudflare(top.value.cloudflare);
  if (cloudflare !== undefined && "error" in cloudflare) return cloudflare;
  if (!Array.isArray(noipJson)) return { error: "noip: expected a list of accounts" };
  if (!Array.isArray(dynamipJson)) return { error: "dynamip: expected a list of sites" };
  const noip: NoipAccount[] = [];
  const owners = new Map<string, string>();
  for (const [i, item] of noipJson.entries()) {
    const account = parseNoip(item, `noip[${i}]`, owners, noip);
    if ("error" in account) return account;
    noip.push(account);
  }
  const dynamip: DynamipAccount[] = [];
  for (const [i, item] of dynamipJson.entries()) {
    const site = parseDynamip(item, `dynamip[${i}]`);
    if ("error" in site) return site;
    if (dynamip.some((other) => other.siteId === site.siteId)) {
      return { error: `dynamip[${i}].siteId: "${site.siteId}" is listed twice` };
    }
    dynamip.push(site);
  }
  const echoIp = echoJson === undefined ? { ...DEFAULT_ECHO_IP } : parseEchoIp(echoJson);
  if ("error" in echoIp) return echoIp;
  return { noip, dynamip, ...(cloudflare === undefined ? {} : { cloudflare }), echoIp };
}

/** Reads and validates an accounts file; the error names the file and the field. */
export async function loadAccounts(path: string): Promise<Accounts | { error: string }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    return { error: `${path}: cannot read the accounts file (${(e as Error).name})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // Only the position: the runtime's message may quote the file, passwords and all.
    const where = /line \d+ column \d+/.exec((e as Error).message)?.[0];
    return { error: `${path}: not valid JSON${where ? ` (${where})` : ""}` };
  }
  const accounts = parseAccounts(json);
  return "error" in accounts ? { error: `${path}: ${accounts.error}` } : accounts;
}

function parseNoip(
  json: unknown,
  at: string,
  owners: Map<string, string>,
  earlier: readonly NoipAccount[],
): NoipAccount | { error: string } {
  const obj = record(json, at, ["username", "password", "hosts", "groups", "donator"]);
  if ("error" in obj) return obj;
  const { username, password, hosts, groups = {}, donator = false } = obj.value;
  const fields = text(username, `${at}.username`) ?? text(password, `${at}.password`);
  if (fields) return fields;
  if (earlier.some((other) => other.username === username)) {
    return { error: `${at}.username: "${username}" is listed twice` };
  }
  if (typeof donator !== "boolean") return { error: `${at}.donator: expected true or false` };
  if (!Array.isArray(hosts)) return { error: `${at}.hosts: expected a list of hostnames` };
  const own: string[] = [];
  for (const [i, host] of hosts.entries()) {
    const field = `${at}.hosts[${i}]`;
    const bad = hostname(host, field);
    if (bad) return bad;
    const name = (host as string).toLowerCase();
    const owner = owners.get(name);
    if (owner) return { error: `${field}: "${name}" is already listed at ${owner}` };
    owners.set(name, field);
    own.push(name);
  }
  const groupObj = record(groups, `${at}.groups`, null);
  if ("error" in groupObj) return groupObj;
  const parsedGroups: Record<string, string[]> = {};
  for (const [rawName, members] of Object.entries(groupObj.value)) {
    const field = `${at}.groups.${rawName}`;
    const name = rawName.toLowerCase();
    if (name === "" || own.includes(name) || name in parsedGroups) {
      return { error: `${field}: a group name must be non-empty and differ from hosts and groups` };
    }
    if (!Array.isArray(members) || members.length === 0) {
      return { error: `${field}: expected a non-empty list of hostnames` };
    }
    const lowered: string[] = [];
    for (const [i, member] of members.entries()) {
      const host = typeof member === "string" ? member.toLowerCase() : "";
      if (!own.includes(host)) {
        const shown = JSON.stringify(member);
        return { error: `${field}[${i}]: ${shown} is not one of this account's hosts` };
      }
      lowered.push(host);
    }
    parsedGroups[name] = lowered;
  }
  return {
    username: username as string,
    password: password as string,
    hosts: own,
    groups: parsedGroups,
    donator,
  };
}

function parseDynamip(json: unknown, at: string): DynamipAccount | { error: string } {
  const obj = record(json, at, ["siteId", "password", "expiry"]);
  if ("error" in obj) return obj;
  const { siteId, password, expiry } = obj.value;
  const fields = text(siteId, `${at}.siteId`) ?? text(password, `${at}.password`);
  if (fields) return fields;
  const ms = typeof expiry === "string" && ISO_TIME.test(expiry) ? Date.parse(expiry) : NaN;
  if (Number.isNaN(ms)) {
    return {
      error: `${at}.expiry: expected an ISO 8601 time with a zone, e.g. "2027-04-02T17:24:41Z"`,
    };
  }
  return { siteId: siteId as string, password: password as string, expiry: ms };
}

/**
 * `cloudflare`: zones (an id of 32 hexadecimal digits, made up when absent), their A and AAAA
 * records (likewise), and tokens naming the zones they may see (`zoneRead` and `dnsEdit`
 * default to true).
 */
function parseCloudflare(json: unknown): CloudflareAccount | { error: string } {
  const top = record(json, "cloudflare", ["zones", "tokens"]);
  if ("error" in top) return top;
  const { zones: zonesJson = [], tokens: tokensJson = [] } = top.value;
  if (!Array.isArray(zonesJson)) return { error: "cloudflare.zones: expected a list of zones" };
  if (!Array.isArray(tokensJson)) return { error: "cloudflare.tokens: expected a list of tokens" };
  const zones: CloudflareZone[] = [];
  for (const [i, item] of zonesJson.entries()) {
    const at = `cloudflare.zones[${i}]`;
    const obj = record(item, at, ["id", "name", "records"]);
    if ("error" in obj) return obj;
    const { id = hexId(1, i, 0), name, records = [] } = obj.value;
    const bad = hostname(name, `${at}.name`) ?? zoneId(id, `${at}.id`);
    if (bad) return bad;
    if (!Array.isArray(records)) return { error: `${at}.records: expected a list of records` };
    const zone: CloudflareZone = {
      id: id as string,
      name: (name as string).toLowerCase(),
      records: [],
    };
    if (zones.some((z) => z.name === zone.name || z.id === zone.id)) {
      return { error: `${at}: its name or id is listed twice` };
    }
    for (const [j, r] of records.entries()) {
      const parsed = parseRecord(r, `${at}.records[${j}]`, hexId(2, i, j), zone.name);
      if ("error" in parsed) return parsed;
      zone.records.push(parsed);
    }
    zones.push(zone);
  }
  const tokens = [];
  for (const [i, item] of tokensJson.entries()) {
    const at = `cloudflare.tokens[${i}]`;
    const obj = record(item, at, ["token", "zones", "zoneRead", "dnsEdit"]);
    if ("error" in obj) return obj;
    const { token, zones: names = [], zoneRead = true, dnsEdit = true } = obj.value;
    const bad = text(token, `${at}.token`);
    if (bad) return bad;
    if (typeof zoneRead !== "boolean" || typeof dnsEdit !== "boolean") {
      return { error: `${at}: zoneRead and dnsEdit are true or false` };
    }
    if (!Array.isArray(names) || names.some((n) => !zones.some((z) => z.name === n))) {
      return { error: `${at}.zones: expected a list of the names of cloudflare.zones` };
    }
    tokens.push({
      token: token as string,
      label: `token ${i + 1}`,
      zones: names,
      zoneRead,
      dnsEdit,
    });
  }
  return { zones, tokens };
}

function parseRecord(
  json: unknown,
  at: string,
  fallbackId: string,
  zone: string,
): CloudflareRecord | { error: string } {
  const obj = record(json, at, ["id", "type", "name", "content", "ttl", "proxied"]);
  if ("error" in obj) return obj;
  const { id = fallbackId, type, name, content, ttl = 1, proxied = false } = obj.value;
  const bad = text(id, `${at}.id`) ?? hostname(name, `${at}.name`);
  if (bad) return bad;
  const lower = (name as string).toLowerCase();
  if (lower !== zone && !lower.endsWith(`.${zone}`)) {
    return { error: `${at}.name: "${name}" is not in the zone ${zone}` };
  }
  const ip = typeof content === "string" ? parseIp(content) : null;
  if ((type !== "A" && type !== "AAAA") || ip?.family !== (type === "A" ? "ipv4" : "ipv6")) {
    return { error: `${at}: expected "type" A with an IPv4 "content", or AAAA with an IPv6 one` };
  }
  if (typeof ttl !== "number" || typeof proxied !== "boolean") {
    return { error: `${at}: "ttl" is a number of seconds (1: automatic), "proxied" true or false` };
  }
  return { id: id as string, type, name: lower, content: ip.address, ttl, proxied };
}

/** A made-up id of 32 hexadecimal digits, different for each kind and position. */
function hexId(kind: number, i: number, j: number): string {
  return `${kind}`.padEnd(16, "0") +
    `${i.toString(16).padStart(8, "0")}${j.toString(16).padStart(8, "0")}`;
}

function zoneId(json: unknown, at: string): { error: string } | undefined {
  return typeof json === "string" && /^[0-9a-f]{32}$/.test(json)
    ? undefined
    : { error: `${at}: expected 32 hexadecimal digits` };
}

function parseEchoIp(json: unknown): EchoIp | { error: string } {
  const obj = record(json, "echoIp", ["ipv4", "ipv6"]);
  if ("error" in obj) return obj;
  const { ipv4, ipv6 } = obj.value;
  const v4 = typeof ipv4 === "string" ? parseIp(ipv4) : null;
  if (v4?.family !== "ipv4") return { error: "echoIp.ipv4: expected an IPv4 address" };
  if (ipv6 === undefined || ipv6 === null) return { ipv4: v4.address, ipv6: null };
  const v6 = typeof ipv6 === "string" ? parseIp(ipv6) : null;
  if (v6?.family !== "ipv6") return { error: "echoIp.ipv6: expected an IPv6 address or null" };
  return { ipv4: v4.address, ipv6: v6.address };
}

/** `json` as a plain object whose keys are all in `keys` (any keys when `keys` is null). */
function record(
  json: unknown,
  at: string,
  keys: readonly string[] | null,
): { value: Record<string, unknown> } | { error: string } {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { error: `${at}: expected an object` };
  }
  const value = json as Record<string, unknown>;
  const unknown = keys ? Object.keys(value).find((key) => !keys.includes(key)) : undefined;
  if (unknown !== undefined) {
    return { error: `${at}: unknown field "${unknown}" (known: ${keys!.join(", ")})` };
  }
  return { value };
}

function text(json: unknown, at: string): { error: string } | undefined {
  if (typeof json !== "string" || json === "") {
    return { error: `${at}: expected a non-empty string` };
  }
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(json)) return { error: `${at}: control characters are not allowed` };
  return undefined;
}

function hostname(json: unknown, at: string): { error: string } | undefined {
  if (typeof json !== "string" || !/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(json)) {
    return { error: `${at}: expected a hostname such as "home.ddns.net"` };
  }
  return undefined;
}
