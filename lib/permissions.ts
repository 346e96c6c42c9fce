/**
 * The one definition of the permissions dnsbeat runs with. `scripts/compile.ts` bakes exactly
 * these flags into the binary, and the end-to-end tests and `deno task dnsbeat` run `main.ts`
 * with exactly these flags, so what is tested is what ships.
 *
 * Why each is needed:
 * - net: the providers' update servers and the IP sources, both set in the config.
 * - read: the config file, a `passwordFile`, the state file (their paths come from the config).
 * - write: the state file, its temporary sibling and its lock (path from the config).
 * - env: only dnsbeat's own variables (`DNSBEAT_*`), never the rest of the environment.
 * - sys: `networkInterfaces` for `interface:NAME` IP sources, `osRelease` for the User-Agent.
 * - run: `cat`, once at start, to read the boot id and the uptime (Deno reads `/proc` only with
 *   every permission, and the monotonic clock across restarts rests on them, see `clock.ts`);
 *   `ip addr show dev NAME`, which lists an `interface:NAME` source's addresses with the flags
 *   `networkInterfaces` lacks (temporary, deprecated); and the programs of `exec` notification
 *   sinks (a router's firewall script on an address change). The sinks' paths come from the
 *   config, unknown when the binary is built, so the permission cannot name them: it is
 *   unrestricted. The trade-off: Deno's sandbox no longer stops a compromised dnsbeat from
 *   starting programs, so that guard rests on the config being the root-owned, 0600 file the
 *   installer makes (dnsbeat runs only what it names, without a shell, with a clean environment)
 *   and on the service's own sandbox (the systemd unit's NoNewPrivileges, ProtectSystem and
 *   SystemCallFilter). Without `exec` sinks and interface sources only `cat` runs.
 *
 * @module
 */

/** Deno permission flags of the shipped binary. */
export const PERMISSION_FLAGS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env=DNSBEAT_*",
  "--allow-sys=networkInterfaces,osRelease",
  "--allow-run",
];
