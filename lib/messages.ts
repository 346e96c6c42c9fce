/**
 * Every sentence dnsbeat says to its user about the state file, the lock, detection and stops in
 * general, in one place: what happened, then what to do, naming the exact setting or command.
 * Each kind of provider has its own in `dyndns2/messages.ts` and `dynamip/messages.ts`.
 *
 * @module
 */

/** How the user lifts a stop, said the same way everywhere. */
export function resumeHint(provider: string, configPath: string): string {
  return `then run \`dnsbeat resume ${provider}\` (or change the provider in ${configPath}, which lifts the stop on the next start).`;
}

/** A stop read back from the state. */
export function stillStopped(provider: string, since: string, message: string): string {
  return `Provider "${provider}" stays stopped (kept in the state file since ${since}): ${message}`;
}

/** The state could not be saved: nothing is sent until it can be. */
export function stateNotSaved(provider: string, reason: string): string {
  return `Provider "${provider}": could not save the state (${reason}). What happened is kept in memory and saved as soon as the disk allows; nothing is sent until then. Free disk space or fix the state directory's permissions.`;
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

/**
 * Why the waits that protect the accounts were moved at start (see `adoptState`): the machine
 * restarted, or dnsbeat cannot tell whether it did.
 */
export function waitsMoved(why: "rebooted" | "unknown", uptimeMs: number): string {
  if (why === "rebooted") {
    return `The machine has restarted since dnsbeat last ran: a wait that protects an account (DynamIP's 15 minutes, No-IP's 30 minutes after 911, a back-off) counts from the restart, ${
      Math.round(uptimeMs / 60_000)
    } min ago, whatever the wall clock says.`;
  }
  return "dnsbeat cannot tell whether the machine restarted since it last ran (the system does not tell its boot id; on Linux dnsbeat reads /proc/sys/kernel/random/boot_id with `cat`): to be safe, a wait that protects an account (DynamIP's 15 minutes, No-IP's 30 minutes after 911, a back-off) starts again from now.";
}
