/**
 * DynamIP's heartbeat endpoint, `GET /Login/updateip.asp`, with DynamIP's rules: one beat per
 * site every 15 minutes at most (more often is refused, and repeatedly so gets the site
 * disallowed), and a site silent for 20 minutes is taken offline.
 *
 * @module
 */
import { HOUR, MINUTE } from "../config/duration.ts";
import { classifyIp, type ParsedIp, parseIp } from "../net/ip.ts";
import type { DynamipAccount } from "./accounts.ts";
import type { Reply } from "./faults.ts";

/** One DynamIP site as the server sees it. */
export interface DynamipSiteState {
  /** Its address, or `null` (never set, or reset when it went offline). */
  ip: string | null;
  /** When its last beat reached the server (epoch ms), or `null`. */
  lastBeat: number | null;
  /** Whether the server counts it offline: no beat yet, or none for 20 minutes. */
  offline: boolean;
  /** Beats refused for coming too soon after the previous one. */
  violations: number;
  /** How often it was taken offline for lack of beats. */
  offlineResets: number;
  /** Whether its updates are disallowed (every beat refused). */
  disallowed: boolean;
}

/** Options of {@link DynamipServer}. */
export interface DynamipOptions {
  /** The shortest gap between two beats of a site that is accepted. */
  minGapMs: number;
  /** After this many refused beats (≥ 1), the site is disallowed. */
  disallowAfterViolations: number;
}

/** A request to `/Login/updateip.asp`, as the endpoint needs it. */
export interface DynamipUpdate {
  /** The request URL. */
  url: URL;
  /** The request's public source address (for `IPAddr=AUTO`), or `null` if it has none. */
  source: ParsedIp | null;
  /** The current time, epoch ms. */
  now: number;
}

/** A site silent this long is taken offline and its address reset. */
export const OFFLINE_AFTER_MS: number = 20 * MINUTE;

/** The titles of the documented errors, after which a client must wait for the user. */
const DYNAMIP_STOP_TITLES: readonly string[] = [
  "Invalid UserID/Password",
  "Account Expired",
  "Invalid IP Address",
];

const INVALID_IP = "{{{Invalid IP Address|The IP Address you have specified, is invalid. If " +
  "you are having problems, please email info@dynamip.com.}}}";
const INVALID_LOGIN = "{{{Invalid UserID/Password|The User ID or password you have specified " +
  "is invalid. If you are having problems, please email info@dynamip.com.}}}";
const EXPIRED = "{{{Account Expired|Your DynamIP.com account has expired. Please visit " +
  "DynamIP.com to sign up or renew your account. If you have questions, please email " +
  "info@dynamip.com}}}";
const TOO_OFTEN = "{{{Update Refused|Updates more often than every 15 minutes are not allowed.}}}";
/** The reply to every beat of a disallowed site (also a stop). */
const DISALLOWED: string = "{{{Update Refused|Updates for this account are disallowed because " +
  "they were sent more often than every 15 minutes. Please email info@dynamip.com.}}}";

const HTML = { "content-type": "text/html" };

/** The state and rules of the DynamIP endpoint. */
export class DynamipServer {
  #sites: readonly DynamipAccount[];
  #options: DynamipOptions;
  #states = new Map<string, DynamipSiteState>();

  /** A server for `sites`, all offline. */
  constructor(sites: readonly DynamipAccount[], options: DynamipOptions) {
    this.#sites = sites;
    this.#options = options;
  }

  /** Answers one beat and records its effect. */
  update(req: DynamipUpdate): Reply {
    const siteId = queryParam(req.url, "siteid");
    const reply = (body: string): Reply => ({ status: 200, body, headers: HTML });
    const account = this.#sites.find((site) => site.siteId === siteId);
    if (account === undefined || account.password !== queryParam(req.url, "password")) {
      return reply(INVALID_LOGIN);
    }
    if (account.expiry <= req.now) return reply(EXPIRED);
    const state = this.#state(account.siteId, req.now);
    const previous = state.lastBeat;
    state.lastBeat = req.now;
    if (state.disallowed) return reply(DISALLOWED);
    if (previous !== null && req.now - previous < this.#options.minGapMs) {
      state.violations += 1;
      state.disallowed = state.violations >= this.#options.disallowAfterViolations;
      return reply(TOO_OFTEN);
    }
    const raw = queryParam(req.url, "ipaddr");
    const ip = raw === "AUTO" ? req.source : raw === null ? null : parseIp(raw);
    if (ip === null || ip.family !== "ipv4" || !classifyIp(ip).public) return reply(INVALID_IP);
    state.ip = ip.address;
    state.offline = false;
    return reply([
      `IP Address for ${account.siteId} set to ${ip.address}`,
      `Expiry[[[${formatExpiry(account.expiry)}]]]`,
      `Remain[[[${Math.floor((account.expiry - req.now) / HOUR)}]]]`,
      "",
    ].join("\r\n"));
  }

  /** The state of site `siteId` at time `now`. */
  site(siteId: string, now: number): DynamipSiteState {
    return { ...this.#state(siteId, now) };
  }

  /** Every configured site's state at time `now`, by SiteID. */
  sites(now: number): Record<string, DynamipSiteState> {
    return Object.fromEntries(
      this.#sites.map((site) => [site.siteId, this.site(site.siteId, now)]),
    );
  }

  /** Forgets every beat, violation and address. */
  reset(): void {
    this.#states.clear();
  }

  /** The live state of a site, first taken offline if it has been silent too long. */
  #state(siteId: string, now: number): DynamipSiteState {
    let state = this.#states.get(siteId);
    if (state === undefined) {
      state = {
        ip: null,
        lastBeat: null,
        offline: true,
        violations: 0,
        offlineResets: 0,
        disallowed: false,
      };
      this.#states.set(siteId, state);
    }
    if (!state.offline && state.lastBeat !== null && now - state.lastBeat >= OFFLINE_AFTER_MS) {
      state.offline = true;
      state.ip = null;
      state.offlineResets += 1;
    }
    return state;
  }
}

/** A query parameter by case-insensitive name, as ASP reads it; the first if repeated. */
export function queryParam(url: URL, name: string): string | null {
  for (const [key, value] of url.searchParams) {
    if (key.toLowerCase() === name) return value;
  }
  return null;
}

/** Whether a reply is an error a client must not retry without the user. */
export function isDynamipStop(body: string): boolean {
  const title = /^\{\{\{([^|]*)\|/.exec(body.trim())?.[1];
  return body === DISALLOWED || (title !== undefined && DYNAMIP_STOP_TITLES.includes(title));
}

/** An expiry as DynamIP writes it, in UTC: `4/2/2027 5:24:41 PM`. */
export function formatExpiry(ms: number): string {
  const d = new Date(ms);
  const hours = d.getUTCHours();
  const two = (n: number) => String(n).padStart(2, "0");
  const clock = `${hours % 12 || 12}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${clock} ${
    hours < 12 ? "AM" : "PM"
  }`;
}
