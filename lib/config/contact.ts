/**
 * The contact of the User-Agent (`userAgentContact`): who the update services can reach about
 * this client. No-IP's rule (https://www.noip.com/integrate/request) for a software client is
 * `User-Agent: Company NameOfProgram/OSVersion-ReleaseVersion maintainer-contact@example.com`,
 * earlier written `NameOfUpdateProgram/VersionNumber maintainercontact@domain.com`; clients
 * without an approved User-Agent risk being rate-limited or blocked. dnsbeat sends
 * `dnsbeat dnsbeat/OS-VERSION CONTACT`, CONTACT being an e-mail address or an http(s) URL.
 *
 * @module
 */

/** The longest contact: it is one field of the User-Agent. */
export const MAX_CONTACT_LENGTH = 64;

const EMAIL = /^[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const EXAMPLES = 'like "you@example.com" or "https://example.com/you"';

/** What is wrong with `contact` as `userAgentContact`, with what to do; null when it is fine. */
export function contactProblem(contact: string): string | null {
  const bad = [...contact].find((c) => c <= " " || c > "~");
  if (bad !== undefined) {
    return `has ${
      JSON.stringify(bad)
    }: the contact is one field of the User-Agent, printable ASCII without spaces; give an e-mail address or an http(s) URL ${EXAMPLES}`;
  }
  if (contact.length > MAX_CONTACT_LENGTH) {
    return `is ${contact.length} characters long; the User-Agent's contact field holds at most ${MAX_CONTACT_LENGTH}`;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(contact)) return urlProblem(contact);
  if (!contact.includes("@")) {
    return `is neither an e-mail address nor an http(s) URL; give one, ${EXAMPLES}`;
  }
  const [local = "", ...domains] = contact.split("@");
  if (domains.length > 1) return 'has more than one "@"; give one e-mail address';
  const odd = [...local].find((c) => !/[A-Za-z0-9._+-]/.test(c));
  if (local === "" || odd !== undefined) {
    return `${
      local === "" ? "has nothing before the @" : `has ${JSON.stringify(odd)} before the @`
    }: dnsbeat takes letters, digits and . _ + - there; give an address ${EXAMPLES}`;
  }
  if (!EMAIL.test(contact)) {
    return `has ${
      JSON.stringify(domains[0])
    } after the @, which is not a domain name (letters, digits and "-", with at least one "."); give a full address like "you@example.com"`;
  }
  return null;
}

/** What is wrong with `contact`, written as a URL (`scheme://...`); null when it is fine. */
function urlProblem(contact: string): string | null {
  let url: URL;
  try {
    url = new URL(contact);
  } catch {
    return `is not a valid URL; give an http(s) URL like "https://example.com/you"`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `starts with "${url.protocol}", not "http:" or "https:"; give an http(s) URL or an e-mail address`;
  }
  if (url.username || url.password) {
    return "holds credentials; give a URL without a user or password";
  }
  return null;
}
