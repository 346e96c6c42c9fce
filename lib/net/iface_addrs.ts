/**
 * An interface's addresses as the system lists them, and which one a DNS name should get. Pure:
 * the text of `ip -j addr show dev NAME` (iproute2's JSON) or of `ip addr show dev NAME` (iproute2
 * or BusyBox text, as on OpenWrt) comes in, addresses with their flags come out, and
 * {@link pickIpv6} chooses among them.
 *
 * An interface with SLAAC privacy extensions has a stable address and temporary ones that change
 * daily; a deprecated address is on its way out. A name must point at a stable, preferred, global
 * address: never a temporary, deprecated, tentative one, nor a ULA, link-local, 6to4 or Teredo
 * address. While the address sent last time is still there and fit, it stays the choice.
 *
 * @module
 */
import { classifyIp, type IpFamily, parseIp } from "./ip.ts";

/** One address of an interface. */
export interface IfaceAddress {
  /** The address, canonical (`ip.ts`). */
  address: string;
  /** Its prefix length. */
  prefixLength: number;
  /** `global`, `link`, `host`…; null when not given. */
  scope: string | null;
  /**
   * Its flags as `ip` names them: `temporary` (BusyBox: `secondary`), `deprecated`, `tentative`,
   * `dadfailed`, `mngtmpaddr`, `dynamic`, `noprefixroute`…
   */
  flags: string[];
  /** Seconds it stays preferred; null when forever or not given. */
  preferredSeconds: number | null;
}

/** `ip`'s number for a lifetime of "forever". */
const FOREVER = 4294967295;

/**
 * The addresses of `family` in `ip -j addr show` output; null when the text is not that JSON
 * (an `ip` without `-j` prints an error or its usage instead).
 */
export function parseIpJson(text: string, family: IpFamily): IfaceAddress[] | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(json)) return null;
  const wanted = family === "ipv4" ? "inet" : "inet6";
  const out: IfaceAddress[] = [];
  for (const link of json) {
    if (typeof link !== "object" || link === null) return null;
    const infos: unknown = (link as Record<string, unknown>).addr_info ?? [];
    if (!Array.isArray(infos)) return null;
    for (const info of infos) {
      if (typeof info !== "object" || info === null) continue;
      const a = info as Record<string, unknown>;
      if (a.family !== wanted || typeof a.local !== "string") continue;
      const ip = parseIp(a.local);
      if (ip?.family !== family) continue;
      const preferred = a.preferred_life_time;
      out.push({
        address: ip.address,
        prefixLength: typeof a.prefixlen === "number" ? a.prefixlen : family === "ipv4" ? 32 : 128,
        scope: typeof a.scope === "string" ? a.scope : null,
        flags: Object.keys(a).filter((key) => a[key] === true),
        preferredSeconds: typeof preferred === "number" && preferred !== FOREVER ? preferred : null,
      });
    }
  }
  return out;
}

const ADDRESS_LINE = /^\s*(inet6?) ([0-9a-fA-F.:]+)(?: peer [0-9a-fA-F.:]+)?\/(\d+) (.*)$/;
const LIFETIME_LINE = /^\s*valid_lft \S+ preferred_lft (\d+)sec\b|^\s*valid_lft \S+ preferred_lft/;

/**
 * The addresses of `family` in `ip addr show` text output (iproute2's, or BusyBox's on OpenWrt:
 * there a temporary IPv6 address shows as `secondary`); null when the text is not such output.
 */
export function parseIpText(text: string, family: IpFamily): IfaceAddress[] | null {
  const wanted = family === "ipv4" ? "inet" : "inet6";
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  if (lines.length > 0 && !/^\d+: \S+/.test(lines[0]!)) return null;
  const out: IfaceAddress[] = [];
  let last: IfaceAddress | null = null;
  let link = "";
  for (const line of lines) {
    const header = /^\d+: ([^:@\s]+)/.exec(line);
    if (header !== null) link = header[1]!;
    const address = ADDRESS_LINE.exec(line);
    if (address !== null) {
      last = null;
      const ip = parseIp(address[2]!);
      if (address[1] !== wanted || ip?.family !== family) continue;
      const words = address[4]!.trim().split(/\s+/);
      const scopeAt = words.indexOf("scope");
      last = {
        address: ip.address,
        prefixLength: Number(address[3]),
        scope: scopeAt >= 0 ? words[scopeAt + 1] ?? null : null,
        // After the scope: the flags, then (IPv4) the label, the interface's name or an alias.
        flags: words.slice(scopeAt + 2).filter((w) =>
          /^[a-z][a-z-]*$/.test(w) && w !== link && !w.startsWith(`${link}:`)
        ),
        preferredSeconds: null,
      };
      out.push(last);
      continue;
    }
    const lifetime = LIFETIME_LINE.exec(line);
    if (lifetime !== null && last !== null && lifetime[1] !== undefined) {
      last.preferredSeconds = Number(lifetime[1]);
    }
  }
  return out;
}

/** What {@link pickIpv6} chose, and why, in words for `check` and `--debug`. */
export type Ipv6Pick =
  | { kind: "chosen"; ip: string; why: string }
  | { kind: "none"; problem: string };

/** Why an address is not fit for a DNS name, or null when it is. */
function unfit(a: IfaceAddress, flagsKnown: boolean): string | null {
  const kind = classifyIp({ family: "ipv6", address: a.address });
  if (!kind.public) return `in ${kind.range}`;
  if (!flagsKnown) return null;
  if (a.scope !== null && a.scope !== "global") return `scope ${a.scope}`;
  const has = (flag: string) => a.flags.includes(flag);
  if (has("temporary") || has("secondary")) return "temporary: privacy extensions replace it daily";
  if (has("deprecated") || a.preferredSeconds === 0) return "deprecated: on its way out";
  // A failed address stays tentative too: the failure is what to say.
  if (has("dadfailed")) return "duplicate address detection failed";
  if (has("tentative")) return "tentative: duplicate address detection not finished";
  return null;
}

/** What kind of stable address `a` is, in words. */
function kindOf(a: IfaceAddress): string {
  if (a.flags.includes("mngtmpaddr")) return "the stable SLAAC address";
  if (!a.flags.includes("dynamic")) return "a static address";
  if (a.prefixLength === 128) return "a DHCPv6 address";
  return "a stable address";
}

/**
 * Chooses the IPv6 address of an interface for a DNS name: the one in `previous` (the addresses
 * sent last time) while it is still there and fit, else the first fit one in the system's order.
 * `flagsKnown` false (the flags could not be read, `flagsProblem` says why): only the range can
 * be judged, so the choice may be a temporary address, and the reason says so.
 */
export function pickIpv6(
  addresses: readonly IfaceAddress[],
  previous: readonly string[],
  flagsProblem: string | null,
): Ipv6Pick {
  const flagsKnown = flagsProblem === null;
  const fit = addresses.filter((a) => unfit(a, flagsKnown) === null);
  const passed = addresses.flatMap((a) => {
    const why = unfit(a, flagsKnown);
    return why === null ? [] : [`${a.address} (${why})`];
  });
  const passedText = passed.length > 0 ? `; passed over ${passed.join(", ")}` : "";
  if (addresses.length === 0) return { kind: "none", problem: "has no IPv6 address" };
  const again = fit.find((a) => previous.includes(a.address));
  const chosen = again ?? fit[0];
  if (chosen === undefined) {
    return {
      kind: "none",
      problem: `has no stable global IPv6 address: ${passed.join(", ")}`,
    };
  }
  const reason = again !== undefined
    ? "the address sent last time, still there"
    : flagsKnown
    ? kindOf(chosen)
    : "the first public address";
  const caution = flagsKnown
    ? ""
    : `; the address flags could not be read (${flagsProblem}), so it may be a temporary address that changes daily: install iproute2's "ip", or list a web source first`;
  return { kind: "chosen", ip: chosen.address, why: `${reason}${passedText}${caution}` };
}
