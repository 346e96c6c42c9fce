/**
 * Finding the public address: an ordered list of sources (web services that echo the caller's
 * address, or a network interface), tried in turn until one gives a public address of the wanted
 * family. Every source that fails says why, so the user can fix the list.
 *
 * @module
 */
import type { HttpGetRequest, HttpResult } from "./http.ts";
import {
  describeDnsSource,
  type DnsDeps,
  type DnsSource,
  parseDnsSource,
  queryDnsSource,
} from "./dns.ts";
import { chooseIpv6, describeChoice, readInterface, type RunIp } from "./iface_read.ts";
import { classifyIp, type IpFamily, type ParsedIp, parseIp } from "./ip.ts";
import { natRange, type NatSight, natSight } from "./nat.ts";

/** Where an address can come from: a web service, a network interface, or a DNS query. */
export type IpSource =
  | { kind: "http"; url: string }
  | { kind: "interface"; name: string }
  | DnsSource;

/** What {@link detectIp} needs from the outside world. */
export interface DetectDeps {
  /** A GET through `http.ts` (or a fake). */
  httpGet: (request: HttpGetRequest) => Promise<HttpResult>;
  /** The machine's interfaces, as `Deno.networkInterfaces()` returns them. */
  networkInterfaces: () => Deno.NetworkInterfaceInfo[];
  /** Runs `ip`, which lists an interface's addresses with their flags; absent: none to run. */
  ip?: RunIp;
  /** The DNS resolver of `dns:` sources. */
  dns: DnsDeps;
}

/** One detection. */
export interface DetectOptions {
  /** The family wanted. */
  family: IpFamily;
  /** Sources, tried in order. */
  sources: readonly IpSource[];
  /** Deadline per HTTP source in ms (default: the one of `httpGet`). */
  timeoutMs?: number;
  /** Returns why a source must not be used now, or `null` to use it. */
  skip?: (source: IpSource) => string | null;
  /** The caller's shutdown signal: no further source is tried once it fires. */
  signal?: AbortSignal;
  /**
   * Told of each source that gave no address (`source` as {@link describeSource} writes it) when a
   * later one gave it; when none does, the problems are in the result instead.
   */
  passedOver?: (source: string, problem: string) => void;
  /**
   * The addresses sent last time: an interface's IPv6 address among them stays the choice while
   * the interface still has it, fit.
   */
  previous?: readonly string[];
}

/** How a detection ended. */
export type Detection =
  /**
   * A public address of the wanted family; `source` is the {@link describeSource} text. `note`:
   * how an interface's IPv6 address was chosen. `nat`: an interface source has a private or
   * carrier-grade NAT IPv4 address other than the one found (inbound connections may not reach).
   */
  | { kind: "found"; ip: string; source: string; note?: string; nat?: NatSight }
  /** No source gave one; one line per source tried or skipped: `"<source>: <what went wrong>"`. */
  | { kind: "none"; problems: string[] };

const INTERFACE_PREFIX = "interface:";
const EXPECTED = 'an http:// or https:// URL, "interface:NAME" or "dns:…"';

/**
 * Parses an http(s) URL, `"interface:eth0"` or a `dns:` source (`dns.ts`); anything else gives an
 * error saying what was expected.
 */
export function parseIpSource(text: string): IpSource | { error: string } {
  if (text.startsWith("dns:")) return parseDnsSource(text);
  if (text.startsWith(INTERFACE_PREFIX)) {
    const name = text.slice(INTERFACE_PREFIX.length);
    if (/^[^\s/]+$/.test(name)) return { kind: "interface", name };
    return { error: `expected an interface name after "interface:", like "interface:eth0"` };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { error: `expected ${EXPECTED}, found ${JSON.stringify(text)}` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { error: `expected ${EXPECTED}, found a URL starting with "${url.protocol}"` };
  }
  return { kind: "http", url: text };
}

/**
 * The source for messages: the URL without userinfo, query and fragment, `"interface eth0"`, or the
 * DNS source's label.
 */
export function describeSource(source: IpSource): string {
  if (source.kind === "interface") return `interface ${source.name}`;
  if (source.kind === "dns") return describeDnsSource(source);
  try {
    const url = new URL(source.url);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return "an invalid URL";
  }
}

/**
 * True when `source` is a service in one of `domains`: its host is a domain or below it (any case,
 * with or without a final dot), or is exactly an address-literal entry with its port
 * (`127.0.0.1:8245`). A stopped provider's own detection service and server are such sources,
 * which No-IP forbids using while its updates are stopped.
 */
export function isServiceOf(domains: readonly string[], source: IpSource): boolean {
  if (source.kind !== "http") return false;
  let url: URL;
  try {
    url = new URL(source.url);
  } catch {
    return false;
  }
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  return domains.some((domain) =>
    isLiteral(domain)
      ? domain === url.host.toLowerCase()
      : host === domain || host.endsWith(`.${domain}`)
  );
}

/** Whether a host (with or without a port) is an IP address rather than a name. */
function isLiteral(host: string): boolean {
  return host.startsWith("[") || /^[\d.]+(:\d+)?$/.test(host);
}

/** Second-level labels under which country domains register names (`example.co.uk`). */
const SECOND_LEVEL = new Set(["ac", "co", "com", "edu", "gov", "ne", "net", "or", "org"]);

/**
 * The domains a provider's server makes off limits while the provider is stopped (for
 * {@link isServiceOf}): the server's host and, when `registrable`, its registrable domain
 * (`members.example.com` → `example.com`; `ddns.example.co.uk` → `example.co.uk`). A server at an
 * address literal is that address and port only (a LAN box, or a test's emulator next to others).
 */
export function serverDomains(server: string, registrable: boolean): string[] {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return [];
  }
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (isLiteral(host)) return [url.host.toLowerCase()];
  if (!registrable) return [host];
  const labels = host.split(".");
  const cc = labels.length >= 3 && labels.at(-1)!.length === 2 &&
    SECOND_LEVEL.has(labels.at(-2)!);
  const domain = labels.slice(cc ? -3 : -2).join(".");
  return domain === host ? [host] : [host, domain];
}

/** Tries the sources in order; the first public address of the wanted family wins. */
export async function detectIp(options: DetectOptions, deps: DetectDeps): Promise<Detection> {
  const problems: string[] = [];
  const passed: [string, string][] = [];
  // What each interface source tried had instead of a public IPv4 address (for `nat`).
  const locals = new Map<string, string | null>();
  for (const source of options.sources) {
    if (options.signal?.aborted) break;
    const name = describeSource(source);
    const skipped = options.skip?.(source) ?? null;
    if (skipped !== null) {
      problems.push(`${name}: ${skipped}`);
      passed.push([name, skipped]);
      continue;
    }
    const result = source.kind === "http"
      ? await fromHttp(source.url, options, deps)
      : source.kind === "dns"
      ? await fromDns(source, options, deps)
      : await fromInterface(source.name, options, deps);
    if (source.kind === "interface") {
      locals.set(source.name, "local" in result ? result.local ?? null : null);
    }
    if ("ip" in result) {
      for (const [source, problem] of passed) options.passedOver?.(source, problem);
      const found: Detection = { kind: "found", ip: result.ip, source: name };
      if (result.note !== undefined) found.note = result.note;
      if (source.kind !== "interface" && options.family === "ipv4") {
        const nat = await natOf(options.sources, locals, result.ip, deps);
        if (nat !== null) found.nat = nat;
      }
      return found;
    }
    problems.push(`${name}: ${result.problem}`);
    passed.push([name, result.problem]);
  }
  return { kind: "none", problems };
}

/**
 * The first interface source whose IPv4 address is private or carrier-grade NAT while `found`
 * came from the Internet's side; interfaces not tried yet are read now (no request leaves).
 */
async function natOf(
  sources: readonly IpSource[],
  locals: Map<string, string | null>,
  found: string,
  deps: DetectDeps,
): Promise<NatSight | null> {
  for (const source of sources) {
    if (source.kind !== "interface") continue;
    if (!locals.has(source.name)) {
      const result = await ipv4Of(source.name, deps);
      locals.set(source.name, "local" in result ? result.local ?? null : null);
    }
    const local = locals.get(source.name);
    const sight = local ? natSight(source.name, local, found) : null;
    if (sight !== null) return sight;
  }
  return null;
}

type SourceResult =
  | { ip: string; note?: string }
  /** `local`: the non-public IPv4 address an interface has instead. */
  | { problem: string; local?: string };

async function fromHttp(
  url: string,
  options: DetectOptions,
  deps: DetectDeps,
): Promise<SourceResult> {
  const result = await deps.httpGet({ url, timeoutMs: options.timeoutMs, signal: options.signal });
  switch (result.kind) {
    case "aborted":
      return { problem: "not finished: dnsbeat is stopping" };
    case "unreached":
    case "failed":
      return { problem: result.reason };
    case "redirect-refused":
      return {
        problem: `redirect${
          result.location ? ` to ${result.location}` : ""
        } not followed: ${result.reason}`,
      };
    case "reply":
      break;
  }
  if (result.status < 200 || result.status > 299) {
    return { problem: `answered with HTTP status ${result.status}` };
  }
  if (result.truncated) return { problem: "answered far more than an IP address" };
  const ip = addressInBody(result.body);
  if (ip === null) return { problem: "answered something that is not an IP address" };
  return judge(ip, options.family, "answered");
}

/** The address in a plain, JSON `{"ip": ...}` or checkip.dyndns.org-style reply, or `null`. */
function addressInBody(body: string): ParsedIp | null {
  const text = body.trim();
  const plain = parseIp(text);
  if (plain !== null) return plain;
  if (text.startsWith("{")) {
    try {
      const json: unknown = JSON.parse(text);
      if (
        typeof json === "object" && json !== null && "ip" in json && typeof json.ip === "string"
      ) {
        return parseIp(json.ip.trim());
      }
    } catch {
      return null;
    }
  }
  const match = /Current IP Address:\s*([0-9A-Fa-f.:]+)/.exec(text);
  return match?.[1] === undefined ? null : parseIp(match[1]);
}

async function fromDns(
  source: DnsSource,
  options: DetectOptions,
  deps: DetectDeps,
): Promise<SourceResult> {
  const result = await queryDnsSource(source, options.family, deps.dns, {
    timeoutMs: options.timeoutMs ?? 15_000,
    signal: options.signal,
  });
  if ("problem" in result) return result;
  return judge(parseIp(result.ip)!, options.family, "answered");
}

async function fromInterface(
  name: string,
  options: DetectOptions,
  deps: DetectDeps,
): Promise<SourceResult> {
  if (options.family === "ipv4") return await ipv4Of(name, deps);
  const choice = await chooseIpv6(name, options.previous ?? [], deps);
  return choice.kind === "chosen"
    ? { ip: choice.ip, note: describeChoice(name, choice) }
    : { problem: choice.problem };
}

/** The first public IPv4 address of interface `name`; else, with the problem, its NAT address. */
async function ipv4Of(name: string, deps: DetectDeps): Promise<SourceResult> {
  const read = await readInterface(name, "ipv4", deps);
  if (read.kind === "problem") return { problem: read.problem };
  const addresses = read.addresses.flatMap((a) => parseIp(a.address) ?? []);
  const found = addresses.find((ip) => classifyIp(ip).public);
  if (found !== undefined) return { ip: found.address };
  const first = addresses.find((ip) => natRange(ip.address)) ?? addresses[0];
  if (first === undefined) return { problem: "has no IPv4 address" };
  const judged = judge(first, "ipv4", "has only non-public addresses, like");
  return "problem" in judged ? { ...judged, local: first.address } : judged;
}

/** The address if it is of `family` and public, or the problem, phrased after `verb`. */
function judge(ip: ParsedIp, family: IpFamily, verb: string): SourceResult {
  if (ip.family !== family) {
    const [got, want] = family === "ipv4" ? ["IPv6", "IPv4"] : ["IPv4", "IPv6"];
    return {
      problem: `${verb} ${ip.address}, an ${got} address, but an ${want} address is wanted`,
    };
  }
  const kind = classifyIp(ip);
  if (kind.public) return { ip: ip.address };
  return { problem: `${verb} ${ip.address}, which is in ${kind.range}: ${kind.explanation}` };
}

/** How long one detection serves every provider asking for the same family: about one round. */
export const DETECTION_SHARE_MS = 30_000;

/**
 * `detect` shared: providers whose rounds fall together (the daemon starts them together, and
 * equal intervals keep them together; `once` runs them one after the other) get one detection per
 * family instead of one each, so 20 providers cost what one costs. `key` names what else the
 * detection depends on (the sources that are off limits now, the last look): a change starts a
 * new one. A
 * detection cut short by its caller's signal serves nobody else.
 */
export function shareDetections(
  detect: (family: IpFamily, signal?: AbortSignal) => Promise<Detection>,
  key: () => string,
  mono: () => number,
): (family: IpFamily, signal?: AbortSignal) => Promise<Detection> {
  const last = new Map<string, { at: number; result: Promise<Detection>; signal?: AbortSignal }>();
  return (family, signal) => {
    const k = `${family} ${key()}`;
    const hit = last.get(k);
    if (hit && mono() - hit.at < DETECTION_SHARE_MS && !hit.signal?.aborted) return hit.result;
    const result = detect(family, signal);
    last.set(k, { at: mono(), result, signal });
    return result;
  };
}
