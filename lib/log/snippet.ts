/**
 * Text from outside, made fit for a message: a server's reply reduced to printable text and cut
 * short, with the credentials masked. This is where outside text is masked, once, before it
 * enters a message (dnsbeat's own sentences never hold a secret, see `mod.ts`).
 *
 * @module
 */
import type { Redactor } from "./redact.ts";

/** The longest snippet of outside text that dnsbeat shows or keeps. */
export const SNIPPET_LENGTH = 120;

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  "#39": "'",
};

/** The text of a body: CRLF and HTML tags become line breaks, common entities are decoded. */
export function plainText(body: string): string {
  return body
    .replace(/\r\n?/g, "\n")
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, "")
    .replace(/<[^>]*>/g, "\n")
    .replace(
      /&(amp|lt|gt|quot|apos|nbsp|#39);/gi,
      (_m, name: string) => ENTITIES[name.toLowerCase()] ?? "",
    );
}

/** Control, format and blank characters collapsed to single spaces, trimmed. */
export function oneLine(text: string): string {
  return text.replace(/[\p{C}\p{Z}\s]+/gu, " ").trim();
}

/**
 * A printable snippet of `text` from outside: HTML reduced to text, control characters out,
 * blanks collapsed, `mask` applied before and after each step (so that no step can join the
 * pieces of a secret into something the mask no longer sees), at most {@link SNIPPET_LENGTH}
 * characters.
 */
export function snippet(text: string, mask: Redactor): string {
  const printable = mask(oneLine(mask(plainText(mask(text)))));
  return Array.from(printable).slice(0, SNIPPET_LENGTH).join("").trimEnd();
}

/**
 * Outside text as a message shows it: a {@link snippet} in double quotes (JSON-escaped), so that
 * a reader tells what a server said from what dnsbeat says.
 */
export function quoted(text: string, mask: Redactor): string {
  return JSON.stringify(snippet(text, mask));
}
