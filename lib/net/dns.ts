/**
 * DNS IP sources: asking a name server which address a query came from, and looking up what DNS
 * answers for a hostname now.
 *
 * A DNS source is written in one of these forms:
 * - `dns:opendns` asks OpenDNS for `myip.opendns.com`, type A at 208.67.222.222 to detect the
 *   IPv4 address, type AAAA at 2620:119:35::35 to detect the IPv6 address;
 * - `dns:google` asks Google's name server for the TXT record of `o-o.myaddr.l.google.com`, at
 *   216.239.32.10 for IPv4 and 2001:4860:4802:32::a for IPv6;
 * - `dns:NAME@SERVER[:PORT][/TXT]` asks SERVER (port 53 unless given) for NAME: type A for IPv4
 *   and AAAA for IPv6, or type TXT with `/TXT`. SERVER is an IP address, an IPv6 one in brackets
 *   (`dns:myip.example@[2001:db8::53]:5353`): finding the server by name would itself need DNS.
 *   Presets and `/TXT` may be written in any case.
 *
 * These servers answer with the address the query came from, so the query has to travel over the
 * family being detected: a query sent to an IPv4 server always comes from the IPv4 address. The
 * presets therefore ask an IPv4 server to detect IPv4 and an IPv6 server to detect IPv6; the
 * general form uses its one server for both families, so it suits detecting one family only.
 * TXT answers may hold other strings: only strings that are exactly an IP address count. But a
 * TXT answer carrying an `edns0-client-subnet` string (Google adds it when a recursive resolver
 * passed the query on with the client's subnet) was not answered to this machine: something on
 * the way, typically a router that intercepts port 53, relayed it, and the address in it is that
 * resolver's. Such an answer is refused, as is one that holds more than one address of the family
 * (an echo of the query's address answers exactly one), and detection goes on with the next
 * source.
 *
 * The queries are dnsbeat's own (`dns_resolver.ts`), which last the whole `timeout`: the resolver
 * reports NXDOMAIN, an empty answer, SERVFAIL and REFUSED alike (as `Deno.errors.NotFound`), so
 * problems cannot tell them apart. It passes over replies that are malformed or carry the wrong
 * message ID and waits for another, so those end as timeouts. It asks again over TCP when a reply
 * is truncated.
 *
 * @module
 */

import { type NameServer, resolveDns, type ResolveOptions } from "./dns_resolver.ts";
import { type IpFamily, parseIp } from "./ip.ts";

export type { NameServer };

/** A parsed DNS source. */
export interface DnsSource {
  /** Tells DNS sources from the other kinds. */
  kind: "dns";
  /** The source as messages show it, e.g. `dns:opendns` or `dns:myip.example@127.0.0.1:5353`. */
  label: string;
  /** The name asked for, in lower case. */
  qname: string;
  /** Whether to ask for TXT records instead of A (IPv4) or AAAA (IPv6). */
  txt: boolean;
  /** The server to ask when detecting each family. */
  servers: Record<IpFamily, NameServer>;
}

/** The resolver the queries go through; {@link defaultDnsDeps} is dnsbeat's own. */
export interface DnsDeps {
  /** Resolves A or AAAA records into addresses, rejecting like `dns_resolver.ts`. */
  resolveDns(name: string, type: "A" | "AAAA", options: ResolveOptions): Promise<string[]>;
  /** Resolves TXT records, each into its strings, rejecting like `dns_resolver.ts`. */
  resolveDns(name: string, type: "TXT", options: ResolveOptions): Promise<string[][]>;
}

/** The real resolver. */
export const defaultDnsDeps: DnsDeps = { resolveDns };

/** Limits for one query. */
export interface DnsQueryOptions {
  /** How long the whole query may take, in milliseconds. */
  timeoutMs: number;
  /** Aborting it means dnsbeat is stopping: the query ends at once with a problem saying so. */
  signal?: AbortSignal;
}

/** Limits for one lookup, and where to look. */
export interface LookupOptions extends DnsQueryOptions {
  /** The name server to ask; without it, the system's resolver. */
  nameServer?: NameServer;
}

const FORMS = "dns:opendns, dns:google or dns:NAME@SERVER[:PORT][/TXT]";

const PRESETS = new Map<string, DnsSource>([
  preset("opendns", "myip.opendns.com", false, "208.67.222.222", "2620:119:35::35"),
  preset("google", "o-o.myaddr.l.google.com", true, "216.239.32.10", "2001:4860:4802:32::a"),
]);

const FAMILY_NAMES: Record<IpFamily, string> = { ipv4: "IPv4", ipv6: "IPv6" };
const ADDRESS_TYPES: Record<IpFamily, "A" | "AAAA"> = { ipv4: "A", ipv6: "AAAA" };

/**
 * Parses the config text of a DNS source (the forms are in the module documentation). Returns the
 * source, or an error naming what was expected.
 */
export function parseDnsSource(text: string): DnsSource | { error: string } {
  if (!text.startsWith("dns:")) return { error: `expected "dns:" at the start of "${text}"` };
  const body = text.slice("dns:".length);
  const found = PRESETS.get(body.toLowerCase());
  if (found !== undefined) return found;
  if (body === "") return { error: `expected ${FORMS}, got nothing after "dns:"` };
  const at = body.indexOf("@");
  if (at < 0) {
    return {
      error: `"${body}" is not a preset (opendns, google) and names no server: expected ${FORMS}`,
    };
  }
  const qname = body.slice(0, at).toLowerCase();
  if (qname === "") return { error: `expected a DNS name before "@", got nothing` };
  if (!isDnsName(qname)) {
    return {
      error:
        `"${qname}" is not a DNS name: expected labels of letters, digits, "-" or "_", separated by dots`,
    };
  }
  const rest = body.slice(at + 1);
  const slash = rest.indexOf("/");
  const suffix = slash < 0 ? "" : rest.slice(slash);
  if (suffix !== "" && suffix.toUpperCase() !== "/TXT") {
    return { error: `expected "/TXT" or nothing after the server, got "${suffix}"` };
  }
  const serverText = slash < 0 ? rest : rest.slice(0, slash);
  if (serverText === "") {
    return { error: `expected the server's IP address after "@", got nothing` };
  }
  const server = parseNameServer(serverText);
  if ("error" in server) return server;
  const txt = suffix !== "";
  return {
    kind: "dns",
    label: `dns:${qname}@${formatServer(server)}${txt ? "/TXT" : ""}`,
    qname,
    txt,
    servers: { ipv4: server, ipv6: server },
  };
}

/** Describes a source for messages: its label, and for presets the servers it asks. */
export function describeDnsSource(source: DnsSource): string {
  const ipv4 = formatServer(source.servers.ipv4);
  const ipv6 = formatServer(source.servers.ipv6);
  if (ipv4 === ipv6) return source.label;
  return `${source.label} (asks ${ipv4} for IPv4, ${ipv6} for IPv6)`;
}

/**
 * Asks a DNS source for this machine's address of one family, at the server for that family.
 * Returns the one address of that family it answered, in canonical form (whether it is public is
 * for the caller to judge), or a problem in plain words: also for an answer relayed by a recursive
 * resolver, or one holding several addresses of the family (see the module documentation). An
 * aborted `options.signal` gives a problem saying dnsbeat is stopping; callers that need to tell
 * it apart check their signal.
 */
export async function queryDnsSource(
  source: DnsSource,
  family: IpFamily,
  deps: DnsDeps,
  options: DnsQueryOptions,
): Promise<{ ip: string } | { problem: string }> {
  const nameServer = source.servers[family];
  const resolver = `the resolver ${formatServer(nameServer)}`;
  const type = source.txt ? "TXT" : ADDRESS_TYPES[family];
  const outcome = await ask(
    (signal) =>
      source.txt
        ? deps.resolveDns(source.qname, "TXT", { nameServer, signal }).then((txt) => txt.flat())
        : deps.resolveDns(source.qname, ADDRESS_TYPES[family], { nameServer, signal }),
    resolver,
    options,
  );
  if ("problem" in outcome) return outcome;
  const answers = "answers" in outcome ? outcome.answers : [];
  if (answers.length === 0) {
    return {
      problem:
        `${resolver} gave no ${type} record for ${source.qname}: no such name or record there, or it refused or failed the query`,
    };
  }
  if (source.txt && answers.some((text) => /^edns0-client-subnet\b/i.test(text.trim()))) {
    return {
      problem:
        `${resolver} answered TXT data for ${source.qname} that carries an edns0-client-subnet string: a recursive resolver passed the query on (often a router that intercepts DNS), so the address in it is that resolver's, not this machine's`,
    };
  }
  const addresses = answers.flatMap((answer) => parseIp(answer) ?? []);
  const wanted = [
    ...new Set(addresses.filter((ip) => ip.family === family).map((ip) => ip.address)),
  ];
  if (wanted.length > 1) {
    return {
      problem: `${resolver} answered ${wanted.length} different ${
        FAMILY_NAMES[family]
      } addresses for ${source.qname} (${wanted.slice(0, 3).join(", ")}${
        wanted.length > 3 ? ", …" : ""
      }): an echo of this machine's address answers exactly one, so none is taken`,
    };
  }
  if (wanted[0] !== undefined) return { ip: wanted[0] };
  const other = addresses[0];
  if (other !== undefined) {
    const expected = FAMILY_NAMES[family];
    return {
      problem:
        `${resolver} answered ${other.address} for ${source.qname}, which is not an ${expected} address`,
    };
  }
  return {
    problem: `${resolver} answered ${type} data for ${source.qname} that holds no IP address`,
  };
}

/**
 * Looks up what DNS answers now for a hostname's A (IPv4) or AAAA (IPv6) records, at
 * `options.nameServer` or else the system's resolver. Returns the addresses in canonical form
 * without repeats (none when the name or the records do not exist, or the resolver refused or
 * failed: `Deno.resolveDns` reports those alike), or a problem in plain words. An aborted
 * `options.signal` gives a problem saying dnsbeat is stopping.
 */
export async function lookupAddresses(
  hostname: string,
  family: IpFamily,
  deps: DnsDeps,
  options: LookupOptions,
): Promise<{ addresses: string[] } | { problem: string }> {
  if (!isDnsName(hostname)) return { problem: `"${hostname}" is not a DNS name` };
  const { nameServer } = options;
  const resolver = nameServer === undefined
    ? "the system resolver"
    : `the resolver ${formatServer(nameServer)}`;
  const outcome = await ask(
    (signal) =>
      deps.resolveDns(
        hostname,
        ADDRESS_TYPES[family],
        nameServer === undefined ? { signal } : { nameServer, signal },
      ),
    resolver,
    options,
  );
  if ("problem" in outcome) return outcome;
  const answers = "answers" in outcome ? outcome.answers : [];
  const addresses = answers.flatMap((answer) => {
    const ip = parseIp(answer);
    return ip?.family === family ? [ip.address] : [];
  });
  return { addresses: [...new Set(addresses)] };
}

function preset(
  name: string,
  qname: string,
  txt: boolean,
  ipv4: string,
  ipv6: string,
): [string, DnsSource] {
  const servers = { ipv4: { ipAddr: ipv4, port: 53 }, ipv6: { ipAddr: ipv6, port: 53 } };
  return [name, { kind: "dns", label: `dns:${name}`, qname, txt, servers }];
}

/** Letters, digits, "-" and "_" in labels of 1-63 characters, not starting or ending with "-". */
function isDnsName(name: string): boolean {
  return name.length <= 253 &&
    name.split(".").every((label) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(label));
}

/**
 * A name server as written in the config: an IPv4 address or an IPv6 address in brackets, with
 * an optional `:PORT` (53 when absent); or an error saying what was expected.
 */
export function parseNameServer(text: string): NameServer | { error: string } {
  if (text === "") return { error: "expected the server's IP address, got nothing" };
  let host = text;
  let port: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return { error: `expected "]" after the IPv6 address in "${text}"` };
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) {
      return { error: `expected ":PORT" or nothing after "]", got "${rest}"` };
    }
    if (rest !== "") port = rest.slice(1);
    if (parseIp(host)?.family !== "ipv6") {
      return { error: `"${host}" is not an IPv6 address: only IPv6 addresses go in brackets` };
    }
  } else {
    const parts = text.split(":");
    if (parts.length > 2) {
      return {
        error:
          `"${text}" has more than one ":": write an IPv6 server in brackets, e.g. [2001:db8::53]:5353`,
      };
    }
    [host = "", port] = parts;
    if (parseIp(host)?.family !== "ipv4") {
      return {
        error:
          `"${host}" is not an IP address: the server must be an IPv4 address or an IPv6 address in brackets, since finding it by name would itself need DNS`,
      };
    }
  }
  if (port !== undefined && !(/^[1-9][0-9]{0,4}$/.test(port) && Number(port) <= 65535)) {
    return { error: `expected a port from 1 to 65535 after ":", got "${port}"` };
  }
  return { ipAddr: parseIp(host)!.address, port: port === undefined ? 53 : Number(port) };
}

/** A name server as messages write it: `208.67.222.222`, `[::1]:5353`. */
export function formatServer({ ipAddr, port }: NameServer): string {
  const host = ipAddr.includes(":") ? `[${ipAddr}]` : ipAddr;
  return port === 53 ? host : `${host}:${port}`;
}

/**
 * Runs one resolution under the deadline and the caller's signal. `Deno.resolveDns` rejects with
 * `Deno.errors.NotFound` when there is no answer, which becomes `{ notFound: true }`; every other
 * failure becomes a fixed phrase about `resolver`, never the runtime's own text.
 */
async function ask(
  resolve: (signal: AbortSignal) => Promise<string[]>,
  resolver: string,
  { timeoutMs, signal }: DnsQueryOptions,
): Promise<{ answers: string[] } | { notFound: true } | { problem: string }> {
  const stopping = `the query to ${resolver} was abandoned because dnsbeat is stopping`;
  if (signal?.aborted) return { problem: stopping };
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const forward = () => controller.abort();
  signal?.addEventListener("abort", forward);
  try {
    return { answers: await resolve(controller.signal) };
  } catch (error) {
    if (signal?.aborted) return { problem: stopping };
    if (timedOut) {
      return { problem: `${resolver} sent no readable answer within ${timeoutMs / 1000}s` };
    }
    if (error instanceof Deno.errors.NotFound) return { notFound: true };
    return { problem: explain(error, resolver) };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", forward);
  }
}

function explain(error: unknown, resolver: string): string {
  if (error instanceof Deno.errors.TimedOut) {
    return `${resolver} sent no readable answer before the query timed out`;
  }
  if (error instanceof Deno.errors.NotCapable) {
    return `dnsbeat lacks the network permission to reach ${resolver}`;
  }
  // Socket errors reach us as a plain Error whose message ends in the operating system's text
  // (TCP), or names its error code (UDP, as Node does: "send ENETUNREACH 2001:db8::53:53").
  const message = error instanceof Error ? error.message : "";
  if (/connection refused|\bECONNREFUSED\b/i.test(message)) {
    return `${resolver} refused the connection`;
  }
  if (
    /unreachable|no route to host|cannot assign requested address|\bE(NET|HOST)UNREACH\b|\bEADDRNOTAVAIL\b/i
      .test(message)
  ) {
    return `this machine has no network route to ${resolver}`;
  }
  return `the query to ${resolver} failed`;
}
