/**
 * A strict stand-in for No-IP's and DynamIP's update servers (and a generic one-URL service's) on 127.0.0.1, for tests, the demo,
 * `dnsbeat emulator` and benchmarks against other clients.
 *
 * ```ts
 * import { loadAccounts, startEmulator } from "./mod.ts";
 * import { systemClock } from "../clock.ts";
 *
 * const accounts = await loadAccounts("accounts.json");
 * if ("error" in accounts) throw new Error(accounts.error);
 * const server = await startEmulator({ accounts, clock: systemClock(), port: 8245 });
 * // ... point a client at server.url ...
 * await server.close();
 * ```
 *
 * @module
 */
export {
  type Accounts,
  DEFAULT_ECHO_IP,
  type DynamipAccount,
  type EchoIp,
  loadAccounts,
  type NoipAccount,
  parseAccounts,
} from "./accounts.ts";
export { type DynamipSiteState, formatExpiry, OFFLINE_AFTER_MS } from "./dynamip.ts";
export { type Fault, type FaultAction, type FaultTarget, parseFault } from "./faults.ts";
export { NOIP_STOP_CODES, type NoipHostState } from "./noip.ts";
export type { CustomHostState } from "./custom.ts";
export {
  createEmulator,
  type Emulator,
  type EmulatorOptions,
  type EmulatorRequest,
  type EmulatorState,
  type Route,
  type RunningEmulator,
  startEmulator,
} from "./server.ts";
