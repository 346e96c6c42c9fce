/**
 * Secrets never leave the process: every line dnsbeat prints passes through a {@link Redactor}.
 *
 * @module
 */

/** Masks secrets in text. */
export interface Redactor {
  /** `text` with every known secret, URL password parameter and credential header masked. */
  (text: string): string;
}

const MASK = "***";
/**
 * Secrets shorter than this are not masked as plain text: a one-letter password would mask that
 * letter in every message. They are still masked in URLs (`Password=`) and auth headers.
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * A redactor for the given secrets (the passwords of the config). Independently of the list it
 * masks `Password=`/`pass=` query values, URL userinfo and `Authorization:` header values.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const known = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) =>
    b.length - a.length
  );
  const variants = known.flatMap((s) => [s, encodeURIComponent(s), btoaSafe(s)]);
  return (text: string) => {
    let out = text;
    // Known secrets first: a pattern below could otherwise mask only part of one (at a `&`, `@`
    // or space inside it) and leave the rest unmatched and visible.
    for (const secret of variants) {
      if (secret) out = out.split(secret).join(MASK);
    }
    return out
      .replace(/([?&](?:password|pass|pwd|passwd)=)[^&\s#"']*/gi, `$1${MASK}`)
      .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, `$1${MASK}@`)
      .replace(
        /(authorization:\s*)(basic|bearer)?\s*\S+/gi,
        (_m, head, scheme) => `${head}${scheme ? scheme + " " : ""}${MASK}`,
      );
  };
}

function btoaSafe(s: string): string {
  const bytes = new TextEncoder().encode(s);
  return bytes.length >= 4 ? btoa(String.fromCharCode(...bytes)) : "";
}
