/**
 * Masking of text that comes from outside (a server's reply, a URL, a header) before it enters a
 * message: `snippet.ts` applies a {@link Redactor} where such text is cut into a message. dnsbeat's
 * own sentences hold no secret and are never masked (`mod.ts`).
 *
 * @module
 */

/** Masks secrets in text from outside. */
export interface Redactor {
  /** `text` with every known secret, URL password parameter and credential header masked. */
  (text: string): string;
}

const MASK = "***";

/**
 * A redactor for the given secrets (a provider's password and credentials), plain, percent-encoded,
 * form-encoded and in Base64. Independently of the list it masks `Password=`/`pass=` query values,
 * URL userinfo and `Authorization:` header values.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const variants = [
    ...new Set(
      secrets.filter((s) => s.length > 0).flatMap((s) => [
        s,
        encodeURIComponent(s),
        new URLSearchParams({ s }).toString().slice(2),
        base64Of(s),
      ]),
    ),
  ].filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
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

function base64Of(s: string): string {
  const bytes = new TextEncoder().encode(s);
  return bytes.length >= 4 ? bytes.toBase64() : "";
}
