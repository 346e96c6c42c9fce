/**
 * The process exit codes, one table. The README's "Exit codes" section lists the same.
 *
 * @module
 */

/** Exit codes of the `dnsbeat` command. */
export const ExitCode = {
  /** Everything worked (or, for `status`, nothing is stopped). */
  Ok: 0,
  /** A runtime failure: the network, the file system, an unexpected fault. */
  Failure: 1,
  /** A usage or configuration error: fix the command line or the config file. */
  Usage: 2,
  /** A provider stopped updates; the user must act (see the message), then `dnsbeat resume`. */
  Stopped: 3,
  /** Another dnsbeat process holds the state file's lock. */
  Locked: 4,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];
