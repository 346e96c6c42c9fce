/**
 * Reading an interface's addresses with their flags: `ip -j addr show dev NAME` (iproute2), else
 * `ip addr show dev NAME` as text (BusyBox's `ip` on OpenWrt knows no `-j`), else
 * `Deno.networkInterfaces()`, which has no flags at all; the result says which.
 *
 * @module
 */
import { type IfaceAddress, parseIpJson, parseIpText, pickIpv6 } from "./iface_addrs.ts";
import { type IpFamily, parseIp } from "./ip.ts";

/** How one run of `ip` ended: its standard output, or why there is none. */
export type IpRun = { ok: true; stdout: string } | { ok: false; problem: string };

/** Runs `ip` with these arguments. */
export type RunIp = (args: readonly string[]) => Promise<IpRun>;

/** What reading an interface gave. */
export type InterfaceRead =
  /** Addresses with flags, read with `via` (`ip -j` or `ip`). */
  | { kind: "flags"; addresses: IfaceAddress[]; via: string }
  /** Addresses without flags (from the system's interface list); `why` the flags are missing. */
  | { kind: "plain"; addresses: IfaceAddress[]; why: string }
  /** Nothing: no such interface, or the list could not be read. */
  | { kind: "problem"; problem: string };

/** What {@link readInterface} needs. */
export interface ReadDeps {
  /** Runs `ip`; absent: there is none to run. */
  ip?: RunIp;
  /** The machine's interfaces, as `Deno.networkInterfaces()` returns them. */
  networkInterfaces: () => Deno.NetworkInterfaceInfo[];
}

/** How long one `ip` may take. */
const IP_TIMEOUT_MS = 5_000;

/** The real `ip`: found on `PATH`, in the C locale, killed after 5 seconds. */
export const systemIp: RunIp = async (args: readonly string[]): Promise<IpRun> => {
  try {
    const out = await new Deno.Command("ip", {
      args: [...args],
      env: { LC_ALL: "C" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(IP_TIMEOUT_MS),
    }).output();
    if (out.success) return { ok: true, stdout: new TextDecoder().decode(out.stdout) };
    const said = new TextDecoder().decode(out.stderr).trim().split("\n")[0] ?? "";
    return { ok: false, problem: `"ip" failed${said ? `: ${said}` : ` (exit ${out.code})`}` };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { ok: false, problem: `no "ip" command` };
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      return { ok: false, problem: `"ip" may not be run` };
    }
    return { ok: false, problem: `"ip" could not be run` };
  }
};

/** The addresses of `family` on interface `name`, with their flags where the system gives them. */
export async function readInterface(
  name: string,
  family: IpFamily,
  deps: ReadDeps,
): Promise<InterfaceRead> {
  const flag = family === "ipv4" ? "-4" : "-6";
  let why = `no "ip" command`;
  if (deps.ip !== undefined) {
    const json = await deps.ip(["-j", flag, "addr", "show", "dev", name]);
    const fromJson = json.ok ? parseIpJson(json.stdout, family) : null;
    if (fromJson !== null) return { kind: "flags", addresses: fromJson, via: "ip -j" };
    const text = await deps.ip([flag, "addr", "show", "dev", name]);
    const fromText = text.ok ? parseIpText(text.stdout, family) : null;
    if (fromText !== null) return { kind: "flags", addresses: fromText, via: "ip" };
    why = text.ok ? `"ip" printed something else than addresses` : text.problem;
  }
  return fromSystemList(name, family, deps.networkInterfaces, why);
}

function fromSystemList(
  name: string,
  family: IpFamily,
  list: () => Deno.NetworkInterfaceInfo[],
  why: string,
): InterfaceRead {
  let all: Deno.NetworkInterfaceInfo[];
  try {
    all = list();
  } catch {
    return { kind: "problem", problem: "cannot list the network interfaces" };
  }
  const mine = all.filter((i) => i.name === name);
  if (mine.length === 0) {
    const names = [...new Set(all.map((i) => i.name))];
    return {
      kind: "problem",
      problem: `no network interface named "${name}"${
        names.length ? ` (there are: ${names.join(", ")})` : ""
      }`,
    };
  }
  const wanted = family === "ipv4" ? "IPv4" : "IPv6";
  const addresses = mine.filter((i) => i.family === wanted).flatMap((i) => {
    const ip = parseIp(i.address.replace(/%.*$/, ""));
    if (ip?.family !== family) return [];
    const length = Number(i.cidr.split("/")[1]);
    return [{
      address: ip.address,
      prefixLength: Number.isInteger(length) ? length : family === "ipv4" ? 32 : 128,
      scope: null,
      flags: [],
      preferredSeconds: null,
    }];
  });
  return { kind: "plain", addresses, why };
}

/** The IPv6 address an interface gives a DNS name now, or why none; `via`: how it was read. */
export type Ipv6Choice =
  | { kind: "chosen"; ip: string; why: string; via: string }
  | { kind: "none"; problem: string; via: string | null };

/**
 * Reads interface `name` and chooses its IPv6 address for a DNS name (`pickIpv6`), keeping the one
 * in `previous` (the addresses sent last time) while it is there and fit.
 */
export async function chooseIpv6(
  name: string,
  previous: readonly string[],
  deps: ReadDeps,
): Promise<Ipv6Choice> {
  const read = await readInterface(name, "ipv6", deps);
  if (read.kind === "problem") return { kind: "none", problem: read.problem, via: null };
  const via = read.kind === "flags" ? read.via : "the system's interface list";
  const pick = pickIpv6(read.addresses, previous, read.kind === "plain" ? read.why : null);
  return pick.kind === "chosen"
    ? { kind: "chosen", ip: pick.ip, why: pick.why, via }
    : { kind: "none", problem: pick.problem, via };
}

/** A choice in words, for `check` and `--debug`: `interface eth0 (read with ip -j): …`. */
export function describeChoice(name: string, choice: Ipv6Choice): string {
  const read = choice.via === null ? "" : ` (read with ${choice.via})`;
  return choice.kind === "chosen"
    ? `interface ${name}${read}: ${choice.ip}, ${choice.why}`
    : `interface ${name}${read}: ${choice.problem}`;
}
