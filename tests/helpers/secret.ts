/**
 * The one check that no secret leaked: a password or token may appear in no output, log, state or
 * result, neither as written nor in the encodings a request gives it (URL and form encoding). A
 * failure says where and shows the text with the secret masked, never the secret itself.
 *
 * @module
 */
import assert from "node:assert/strict";

/** The forms in which `secret` could leak: as written, URL-encoded and form-encoded. */
export function secretForms(secret: string): string[] {
  return [
    ...new Set([
      secret,
      encodeURIComponent(secret),
      new URLSearchParams({ p: secret }).toString().slice(2),
    ]),
  ];
}

/**
 * Fails when one of `texts` holds one of `secrets` in one of its {@link secretForms}; `what`
 * names the texts in the message.
 */
export function assertNoSecret(
  texts: string | readonly string[],
  secrets: string | readonly string[],
  what = "the output",
): void {
  const forms = (typeof secrets === "string" ? [secrets] : secrets).flatMap(secretForms);
  for (const text of typeof texts === "string" ? [texts] : texts) {
    for (const form of forms) {
      if (!text.includes(form)) continue;
      const masked = forms.reduce((t, f) => t.replaceAll(f, "***"), text);
      assert.fail(`a secret appeared in ${what} (masked here as ***): ${masked.slice(0, 500)}`);
    }
  }
}
