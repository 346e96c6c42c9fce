/**
 * Every sentence dnsbeat says to its user about a Cloudflare provider: what happened, then what
 * to do, naming the exact setting, permission or command. What each outcome's code means and how
 * it is fixed is the one table {@link CODES}.
 *
 * @module
 */
import type { CloudflareProvider } from "../../config/types.ts";
import { resumeHint } from "../../messages.ts";
import type { IpFamily } from "../../net/ip.ts";
import type { Stop } from "../../state/mod.ts";
import { recordType, SERVER_WAIT_MS } from "./protocol.ts";

/** The service's name in messages. */
export const LABEL = "Cloudflare";

/** Where API tokens are made and given permissions. */
const TOKENS_PAGE = "https://dash.cloudflare.com/profile/api-tokens";
/** The permissions a token needs, as Cloudflare's dashboard names them. */
const PERMISSIONS =
  'Zone · DNS · Edit on the zone (and Zone · Zone · Read, unless "zone" is the zone\'s id)';

/** What a code means, and what the user does about it. */
interface Row {
  /** What happened. */
  meaning: string;
  /** What to do (a stop) or what dnsbeat does (a wait). */
  fix: string;
}

/**
 * The codes of Cloudflare's errors that clients have seen (research/services.md §7), and the ones
 * dnsbeat gives a reply that is not an error (`no-zone`, `no-record`, ...). Any other code is
 * Cloudflare's own refusal: {@link OTHER}.
 */
const CODES: Readonly<Record<string, Row>> = {
  "9109": {
    meaning: "the API token is not valid (mistyped, rolled or expired)",
    fix: `Create a token with ${PERMISSIONS} at ${TOKENS_PAGE} and put it in "token"`,
  },
  "10000": {
    meaning: "the token may not do this: a permission, or the zone, is missing from it",
    fix: `Give the token ${PERMISSIONS} at ${TOKENS_PAGE}`,
  },
  "6003": {
    meaning: "Cloudflare could not read the Authorization header: the token is malformed",
    fix: `Copy the token again from ${TOKENS_PAGE} into "token" (one line, nothing else)`,
  },
  "81044": {
    meaning: "the record no longer exists",
    fix: "Create it again in Cloudflare's dashboard (dnsbeat updates records, it creates none)",
  },
  "no-zone": {
    meaning: "no zone the token can see holds the name",
    fix: `Check the hostname and "zone" in the config, and that the token has ${PERMISSIONS}`,
  },
  "several-zones": {
    meaning: "the token sees several zones of that name",
    fix: "Give the zone's id as \"zone\" (on the zone's overview page in the dashboard)",
  },
  "no-record": {
    meaning: "the record does not exist",
    fix:
      "Create it in Cloudflare's dashboard with any address: dnsbeat then keeps it updated (it creates no records)",
  },
  "several-records": {
    meaning: "the name has several records of that type",
    fix: "Delete all but one of them in Cloudflare's dashboard",
  },
  "other-address": {
    meaning: "Cloudflare accepted the update but kept another address",
    fix: "Check the record in Cloudflare's dashboard, and what else changes it",
  },
  "unreadable": {
    meaning: 'the reply is not Cloudflare\'s API (a proxy, a captive portal, or a wrong "server")',
    fix: "Check the network and the provider's \"server\" setting (Cloudflare's is the default)",
  },
  "http429": {
    meaning:
      "Cloudflare's rate limit was reached (1200 requests in 5 minutes per user, for every client of the account)",
    fix: `dnsbeat waits at least ${
      SERVER_WAIT_MS / 60_000
    } minutes; if it keeps happening, check what else uses the account's API`,
  },
  "http5xx": {
    meaning: "Cloudflare's API failed",
    fix: `dnsbeat waits at least ${SERVER_WAIT_MS / 60_000} minutes`,
  },
};

/** Cloudflare refused with a code no row names. */
const OTHER: Row = {
  meaning: "Cloudflare refused the request",
  fix: "Fix what Cloudflare's words name, in the dashboard or the config",
};

/** The row of `code`: `6111` is a malformed header like `6003`. */
function row(code: string): Row {
  return CODES[code === "6111" ? "6003" : code] ?? OTHER;
}

/** The service's name with the provider's, for the start of a sentence. */
function who(p: CloudflareProvider): string {
  return `${LABEL} "${p.name}"`;
}

/** What a record is called: `the A record of home.example.com`. */
function recordName(host: string, family: IpFamily): string {
  return `the ${recordType(family)} record of ${host}`;
}

/**
 * How a sentence names what Cloudflare answered: `Cloudflare says 9109` for one of its error
 * codes; for a code dnsbeat made (`no-record`, `http404`; kept in `--debug` and `status --json`),
 * `Cloudflare's answer`, the meaning saying what it was.
 */
function answered(code: string): string {
  return /^\d+$/.test(code) ? `${LABEL} says ${code}` : `${LABEL}'s answer`;
}

/** Cloudflare refused, or answered what dnsbeat cannot use: updates stop until the user acts. */
export function stopped(
  p: CloudflareProvider,
  stop: Stop,
  configPath: string,
  detail?: string,
): string {
  const info = row(stop.code);
  const scope = stop.hosts.length === 0 ? "" : ` for ${stop.hosts.join(", ")}`;
  return `${answered(stop.code)}${scope}: ${info.meaning}${
    detail ? ` (${detail})` : ""
  }. Updates of provider "${p.name}" are stopped (every host: after an error dnsbeat sends nothing until you act). ${info.fix}, ${
    resumeHint(p.name, configPath)
  }`;
}

/** Cloudflare is failing or limiting: no request until `untilIso`. */
export function waiting(
  p: CloudflareProvider,
  code: string,
  untilIso: string,
  detail: string,
): string {
  const info = row(code);
  return `${
    answered(code)
  } for provider "${p.name}": ${info.meaning} (${detail}). ${info.fix} (no request before ${untilIso}).`;
}

/** A record now holds the address. */
export function updated(
  p: CloudflareProvider,
  host: string,
  family: IpFamily,
  ip: string,
  was: string,
): string {
  return `${who(p)}: ${recordName(host, family)} now holds ${ip} (it held ${was}).`;
}

/** A record already held the address: nothing was changed. */
export function unchanged(
  p: CloudflareProvider,
  host: string,
  family: IpFamily,
  ip: string,
): string {
  return `${who(p)}: ${recordName(host, family)} already holds ${ip}; nothing to change.`;
}
