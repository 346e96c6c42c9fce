/**
 * Every sentence dnsbeat says to its user about DynamIP: what happened, then what to do, naming
 * the provider, the config setting and the config file. None of them holds the request's URL or
 * the password.
 *
 * @module
 */
import type { DynamipProvider } from "../../config/types.ts";
import { formatDuration, MINUTE } from "../../config/duration.ts";
import { BEAT_INTERVAL_MS } from "./schedule.ts";
import { resumeHint } from "../../messages.ts";
import { DEFAULT_SERVER, type KnownError, knownError } from "./protocol.ts";
import { type Expiry } from "./entry.ts";

/** Where DynamIP accounts are renewed. */
export const SITE = "https://www.dynamip.com";
const CREDENTIALS = "`siteId` and `password` (or `passwordFile` / `passwordEnv`)";

function who(p: DynamipProvider): string {
  return `DynamIP "${p.name}"`;
}

/** An expiry as messages show it: the ISO date when DynamIP's text parsed, else its text quoted. */
function shownExpiry(expiry: Expiry): string {
  return expiry.iso ?? JSON.stringify(expiry.text);
}

/** A confirmed beat, with the account's expiry and hours left when DynamIP gave them. */
export function beatConfirmed(
  p: DynamipProvider,
  ip: string,
  expiry: Expiry | null,
  remainHours: number | null,
): string {
  const left = remainHours === null
    ? ""
    : remainHours >= 0
    ? ` (${remainHours} hours left)`
    : ` (by DynamIP's count it ran out ${-remainHours} hours ago)`;
  const account = expiry === null && remainHours === null
    ? ""
    : `; account expires ${expiry === null ? "(date not given)" : shownExpiry(expiry)}${left}`;
  return `${who(p)}: ${p.siteId} set to ${ip}${account}.`;
}

/**
 * The account runs out soon, or has run out although DynamIP still confirms beats (at most once a
 * day). `hoursLeft` is DynamIP's `Remain`, else the hours to its expiry date.
 */
export function expiryWarning(
  p: DynamipProvider,
  hoursLeft: number,
  expiry: Expiry | null,
): string {
  const date = expiry === null ? "" : ` (${shownExpiry(expiry)})`;
  if (hoursLeft > 0) {
    return `${
      who(p)
    }: the DynamIP account ${p.siteId} expires in ${hoursLeft} hours${date}. Renew it at ${SITE} before then, or DynamIP stops accepting beats.`;
  }
  return `${who(p)}: the DynamIP account ${p.siteId} has run out${date}${
    hoursLeft < 0 ? `, ${-hoursLeft} hours ago` : ""
  }, though DynamIP still confirmed this beat. Renew it at ${SITE} now: DynamIP will refuse beats with "Account Expired", and dnsbeat then stops them until you run \`dnsbeat resume ${p.name}\`.`;
}

/** The beat before this one was longer ago than DynamIP's offline limit. */
export function wasOffline(p: DynamipProvider, gapMs: number, offlineAfterMs: number): string {
  return `${who(p)}: the last confirmed beat was ${
    formatDuration(gapMs)
  } ago, more than DynamIP's ${
    formatDuration(offlineAfterMs)
  } limit, so DynamIP has probably marked ${p.siteId} offline during the gap; this beat brings it back online.`;
}

/** Detection found no address: the beat sends `AUTO` instead. */
export function sendingAuto(
  p: DynamipProvider,
  problems: readonly string[],
  configPath: string,
): string {
  return `${
    who(p)
  }: could not detect the public IPv4 address, so this beat sends AUTO (DynamIP takes the address the request comes from):${
    problems.map((problem) => `\n  - ${problem}`).join("")
  }\n  Check "ipSources" in ${configPath}, or set "ip": "auto" for provider "${p.name}" there.`;
}

/** DynamIP refused the detected address: later beats send `AUTO`. */
export function switchingToAuto(p: DynamipProvider, ip: string, configPath: string): string {
  return `${
    who(p)
  }: DynamIP refused ${ip} as "Invalid IP Address" (malformed or not routable). The next beats send AUTO instead, letting DynamIP take the address the request comes from. To make this permanent, set "ip": "auto" for provider "${p.name}" in ${configPath}.`;
}

/** Why beats stop, and what to do, per refusal. */
const STOPS: Record<KnownError, (p: DynamipProvider) => { meaning: string; fix: string }> = {
  "invalid-credentials": (p) => ({
    meaning: "the site ID or the password is wrong",
    fix: `Fix ${CREDENTIALS} of provider "${p.name}"`,
  }),
  expired: () => ({
    meaning: "the DynamIP account has expired",
    fix: `Renew the account at ${SITE}`,
  }),
  "invalid-ip": () => ({
    meaning:
      "DynamIP refused even the address it saw the request come from (AUTO): this machine reaches the Internet through an address that cannot be reached back (carrier-grade NAT or a proxy)",
    fix:
      "Give this machine a public IPv4 address (ask the ISP, or run dnsbeat where the public address ends)",
  }),
};

/**
 * An error DynamIP's protocol does not list: an error all the same, so beats stop (DynamIP's guide: an
 * error needs the user). DynamIP disallows a site that beats more often than every 15 minutes:
 * dnsbeat never does, so another client must be beating for the same site.
 */
function unlisted(p: DynamipProvider, title: string): { meaning: string; fix: string } {
  if (/disallow|more often/i.test(title)) {
    return {
      meaning:
        `DynamIP disallows the site's updates, as it does to a site that beats more often than every ${
          BEAT_INTERVAL_MS / MINUTE
        } minutes; dnsbeat never does, so another client (or an earlier installation) beats for site ${p.siteId} too`,
      fix: "Stop the other client, then ask info@dynamip.com to allow the site again",
    };
  }
  return {
    meaning: "DynamIP refused the beat with an error its protocol does not list",
    fix: `Do what DynamIP's message asks (see \`dnsbeat status\`), and check provider "${p.name}"`,
  };
}

/** DynamIP refused in a way only the user can fix (`title`, as it wrote it): beats stop. */
export function beatsStopped(p: DynamipProvider, title: string, configPath: string): string {
  const known = knownError(title);
  const { meaning, fix } = known === null ? unlisted(p, title) : STOPS[known](p);
  const where = known === "invalid-credentials" ? ` in ${configPath}` : "";
  return `DynamIP says ${
    JSON.stringify(title)
  } for site ${p.siteId}: ${meaning}. Beats of provider "${p.name}" are stopped. ${fix}${where}, ${
    resumeHint(p.name, configPath)
  }`;
}

/** A reply that is not a confirmation and not a known refusal. */
export function beatRejected(
  p: DynamipProvider,
  what: string,
  nextAt: string,
  configPath: string,
): string {
  return `${who(p)}: the beat was not confirmed: ${
    what.replace(/\.$/, "")
  }. The next beat goes out as scheduled at ${nextAt}; if this persists, check "server" of provider "${p.name}" in ${configPath} (DynamIP's is ${DEFAULT_SERVER}).`;
}

/** The request may have reached DynamIP, but no reply came. */
export function beatFailed(p: DynamipProvider, reason: string, nextAt: string): string {
  return `${
    who(p)
  }: the beat may have reached DynamIP but no reply came (${reason}). It counts as sent, so the next beat waits for the 15-minute mark at ${nextAt}; check the network if this persists.`;
}

/** The request never reached DynamIP. */
export function beatUnreached(
  p: DynamipProvider,
  reason: string,
  failures: number,
  retryInMs: number,
  configPath: string,
): string {
  return `${
    who(p)
  }: the beat could not reach DynamIP (${reason}); nothing was sent. Trying again in ${
    formatDuration(retryInMs)
  } (failure ${failures} in a row); check the network, or "server" of provider "${p.name}" in ${configPath}, if this persists.`;
}

/** `dnsbeat once` ran before the 15-minute floor allows a beat. */
export function beatNotDue(p: DynamipProvider, dueAt: string, inMs: number): string {
  return `${who(p)}: no beat now; DynamIP allows one every ${
    BEAT_INTERVAL_MS / MINUTE
  } minutes and the next is due at ${dueAt} (in ${formatDuration(inMs)}).`;
}

/** Debug: when the next beat goes out. */
export function nextBeatAt(p: DynamipProvider, at: string, auto: boolean): string {
  return `${who(p)}: next beat at ${at}${auto ? " (AUTO)" : ""}.`;
}
