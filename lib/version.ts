/**
 * Who dnsbeat is: its version and its maintainers' contact, as the User-Agent names them.
 *
 * @module
 */

/** The release version of dnsbeat. */
export const VERSION = "0.1.0";

/**
 * The maintainers' contact address: the default `userAgentContact`, sent as the User-Agent's
 * last field as No-IP requires (`NameOfUpdateProgram/VersionNumber maintainercontact@domain.com`,
 * see `config/contact.ts`), and named when a service refuses dnsbeat itself (`badagent`).
 */
export const CONTACT = "dnsbeat@users.noreply.github.com";
