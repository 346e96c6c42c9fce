/**
 * Every sentence dnsbeat says to its user about No-IP, the state file, the lock and the config,
 * in one place: what happened, then what to do, naming the exact setting or command. DynamIP's
 * sentences live in `dynamip/messages.ts`.
 *
 * @module
 */
import type { NoipProvider } from "./config_types.ts";
import { listOf } from "./noip/plan.ts";
import { codeInfo } from "./noip/protocol.ts";
import type { Addresses, Stop } from "./state.ts";

/** How the user lifts a stop, said the same way everywhere. */
export function resumeHint(provider: string, configPath: string): string {
  return `then run \`dnsbeat resume ${provider}\` (or change the provider in ${configPath}, which lifts the stop on the next start).`;
}

/** No-IP refused: updates stop until the user acts. */
export function noipStopped(p: NoipProvider, stop: Stop, configPath: string): string {
  const info = codeInfo(stop.code);
  const scope = stop.hosts.length === 0 ? `for ${p.username}` : `for ${stop.hosts.join(", ")}`;
  return `No-IP says ${stop.code} ${scope}: ${info.meaning}. Updates of provider "${p.name}" to No-IP are stopped (every host: No-IP asks a client to send nothing after an error). ${info.fix}, ${
    resumeHint(p.name, configPath)
  }`;
}

/** A stop read back from the state. */
export function stillStopped(provider: string, since: string, message: string): string {
  return `Provider "${provider}" stays stopped (kept in the state file since ${since}): ${message}`;
}

/** The 30-minute wait after 911/dnserr and similar. */
export function noipWaiting(
  p: NoipProvider,
  code: string,
  untilIso: string,
  detail?: string,
): string {
  const info = codeInfo(code);
  return `No-IP says ${code} for provider "${p.name}": ${info.meaning}${
    detail ? ` (reply: ${JSON.stringify(detail)})` : ""
  }. ${info.fix} (no request before ${untilIso}).`;
}

/** A network problem or a server error: back off. */
export function noipBackoff(
  p: NoipProvider,
  reason: string,
  untilIso: string,
  failures: number,
): string {
  return `No-IP update for provider "${p.name}" failed: ${reason}. Trying again from ${untilIso} (failure ${failures} in a row); check the network or the provider's "server" setting if it persists.`;
}

/** A request that may have reached No-IP, but whose reply never came. */
export function noipNoReply(p: NoipProvider, reason: string, untilIso: string): string {
  return `No-IP update for provider "${p.name}": no reply (${reason}). It may have reached No-IP, so it counts as sent: no request before ${untilIso}, then it is sent again once.`;
}

/** The state could not be saved: nothing is sent until it can be. */
export function stateNotSaved(provider: string, reason: string): string {
  return `Provider "${provider}": could not save the state (${reason}). What happened is kept in memory and saved as soon as the disk allows; nothing is sent until then. Free disk space or fix the state directory's permissions.`;
}

/** A successful update or confirmation. */
export function noipConfirmed(p: NoipProvider, host: string, code: string, ips: string[]): string {
  return code === "good"
    ? `No-IP "${p.name}": ${host} now points to ${ips.join(", ")}.`
    : `No-IP "${p.name}": ${host} already pointed to ${ips.join(", ")} (nochg).`;
}

/** The server confirmed another address than the one sent. */
export function noipOtherAddress(host: string, sent: Addresses, confirmed: Addresses): string {
  return `No-IP confirmed ${host} at ${listOf(confirmed).join(", ")}, not the ${
    listOf(sent).join(", ")
  } dnsbeat sent. dnsbeat sends again only when the detected address changes; if the host must point elsewhere, check what else updates it.`;
}

/** Detection found nothing for a family. */
export function noAddress(family: string, problems: readonly string[]): string {
  return `Could not find the public ${family} address; no update sent. ${
    problems.map((p) => `\n  - ${p}`).join("")
  }\n  Check "ipSources"/"ipv6Sources" in the config, or the network.`;
}

/** The state file is unreadable or from another version. */
export function stateCorrupt(path: string, problem: string): string {
  return `The state file ${path} cannot be used: ${problem}. It is left untouched. Move it away to start afresh (dnsbeat then treats every host as never updated), or run the dnsbeat version that wrote it.`;
}

/** The state file exists but cannot be read. */
export function stateUnreadable(reason: string): string {
  return `Cannot read the state file: ${reason}. dnsbeat's user must be able to read and write the state file and its directory; fix the permissions, move a directory of that name away, or choose another path with --state or "state" in the config.`;
}

/** Another process holds the lock. */
export function stateLocked(path: string, pid: number | null): string {
  return `Another dnsbeat${
    pid ? ` (pid ${pid})` : ""
  } is using the state file ${path}. Stop it first, or give this one its own state with --state PATH.`;
}

/** A state write failed (full disk, read-only directory...). */
export function stateWriteFailed(reason: string): string {
  return `Could not save the state: ${reason}. The previous state is kept; no request is sent until the state can be saved. Free disk space or fix the directory's permissions.`;
}
