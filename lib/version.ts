/**
 * Who dnsbeat is: its version and its maintainers' contact, as the User-Agent names them.
 *
 * @module
 */

/** The release version of dnsbeat. */
export const VERSION = "0.1.0";

/** The maintainers' contact address, sent in the User-Agent as No-IP requires. */
export const CONTACT = "dnsbeat@users.noreply.github.com";
