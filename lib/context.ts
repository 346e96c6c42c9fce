/**
 * What a provider's round needs from the outside world, injected: the clock, the logger, the
 * state store, HTTP and IP detection. Tests pass virtual time and in-process servers.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import type { Detection } from "./detect.ts";
import type { HttpGetRequest, HttpResult } from "./http.ts";
import type { IpFamily } from "./ip.ts";
import type { Logger } from "./log.ts";
import type { StateStore } from "./state_store.ts";

/** The dependencies of one provider's loop. */
export interface Context {
  /** Time source; all waits go through it. */
  clock: Clock;
  /** The process's logger (redacting). */
  log: Logger;
  /** The state file. */
  store: StateStore;
  /** One HTTP GET with deadline, body cap and redirect rules. */
  httpGet: (request: HttpGetRequest) => Promise<HttpResult>;
  /**
   * Detects the public address of `family` from the configured sources. `avoidNoip` skips
   * No-IP's own detection service (No-IP forbids its use while updates are stopped).
   */
  detect: (family: IpFamily, avoidNoip: boolean, signal?: AbortSignal) => Promise<Detection>;
  /** The config file's path, for messages that tell the user what to edit. */
  configPath: string;
}

/** How one round of a provider ended, for `once`'s exit code and the loop. */
export type RoundEnd =
  | { kind: "ok" }
  | { kind: "stopped" }
  | { kind: "failed" }
  | { kind: "aborted" };
