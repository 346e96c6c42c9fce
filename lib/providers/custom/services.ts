/**
 * The services that update with one URL, built in: each a fixed {@link UrlService} whose users
 * give only their token and hostnames (`"type": "duckdns"`, ...). Every fact cites the service's
 * own documentation where one was found, else the clients that speak to it (ddclient, inadyn,
 * ddns-updater); what no source confirmed is said in the README ("Supported services").
 *
 * @module
 */
import type { UrlService } from "./service.ts";

/**
 * DuckDNS (https://www.duckdns.org/spec.jsp): `GET /update?domains=…&token=…&ip=…&ipv6=…`, the
 * domains a comma-separated list of sub-names (without `.duckdns.org`); `verbose=true` answers
 * `OK`, the addresses and `UPDATED` or `NOCHANGE`; every failure is `KO`. It names no detection
 * service (inadyn's plugin asks wtfismyip.com, which DuckDNS does not run).
 */
const DUCKDNS: UrlService = {
  label: "DuckDNS",
  url:
    "https://www.duckdns.org/update?domains={{hostname}}&token={{token}}&ip={{ipv4}}&ipv6={{ipv6}}&verbose=true",
  success: "^OK\\b",
  nochange: "^OK\\s[\\s\\S]*\\bNOCHANGE\\s*$",
  hostList: ",",
  hostSuffix: ".duckdns.org",
  detection: ["duckdns.org"],
  docs: "https://www.duckdns.org/spec.jsp",
};

/**
 * FreeDNS at afraid.org, its "randomized token" interface (https://freedns.afraid.org/dynamic/v2/,
 * quoted by clients; the page itself could not be read): `GET https://sync.afraid.org/u/TOKEN/`,
 * one token per host, the address the request's own (IPv4; IPv6 goes to `v6.sync.afraid.org`,
 * another URL: give it as a `custom` provider). Replies as ddns-updater reads them: `Updated …`,
 * `No IP change detected for …` (users' logs). Detection: `freedns.afraid.org/dynamic/check.php`
 * (ddclient, inadyn).
 */
const FREEDNS: UrlService = {
  label: "FreeDNS",
  url: "https://sync.afraid.org/u/{{token}}/",
  success: "^Updated ",
  nochange: "^No IP change detected",
  families: ["ipv4"],
  detection: ["afraid.org"],
  docs: "https://freedns.afraid.org/dynamic/v2/",
};

/**
 * dynv6 (https://dynv6.com/docs/apis): `GET /api/update?zone=…&token=…&ipv4=…&ipv6=…`, one zone a
 * request, an empty address leaving its record unchanged. Replies `addresses updated` and
 * `addresses unchanged` (inadyn issue #235); its operator advises reading the HTTP status (every
 * status outside 2xx stops, or waits for 5xx and 429). It names no detection service.
 */
const DYNV6: UrlService = {
  label: "dynv6",
  url: "https://dynv6.com/api/update?zone={{hostname}}&token={{token}}&ipv4={{ipv4}}&ipv6={{ipv6}}",
  success: "\\bupdated\\b",
  nochange: "\\bunchanged\\b",
  detection: ["dynv6.com"],
  docs: "https://dynv6.com/docs/apis",
};

/**
 * ddnss.de (its own documentation, in German, could not be read: ddclient's `nic_ddnss_update`,
 * ddns-updater, inadyn and OpenWrt): `GET /upd.php?key=…&host=…&ip=…&ip6=…`, one host a request
 * (several are not confirmed); the reply an HTML page with `Updated 1 hostname.`, the same when
 * nothing changed (openwrt/packages#8013); `No change` as inadyn and OpenWrt accept it. Detection:
 * `ddnss.de/meineip.php` (users' scripts).
 */
const DDNSS: UrlService = {
  label: "ddnss.de",
  url: "https://ddnss.de/upd.php?key={{token}}&host={{hostname}}&ip={{ipv4}}&ip6={{ipv6}}",
  success: "Updated \\d+ hostname",
  nochange: "No change",
  detection: ["ddnss.de"],
  docs: "https://ddnss.de",
};

/** The built-in one-URL services, by their config `"type"`. */
export const URL_SERVICES: Readonly<Record<string, UrlService>> = {
  duckdns: DUCKDNS,
  freedns: FREEDNS,
  dynv6: DYNV6,
  ddnss: DDNSS,
};
