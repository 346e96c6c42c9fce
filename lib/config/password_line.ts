/**
 * The password in a `passwordFile` or a `passwordEnv` variable: the first line of the text,
 * without a leading UTF-8 byte order mark, a trailing CR or trailing blanks (spaces and tabs).
 * Leading blank lines are not skipped, so the password is where the user put it or nowhere. What
 * was stripped or left out is kept, so `dnsbeat check` can say it without the password.
 *
 * @module
 */

/** The first line of a secret's text, and what reading it left out. */
export interface PasswordLine {
  /** The password: the first line, stripped. */
  value: string;
  /** The text holds nothing but blanks and line ends (after a byte order mark). */
  blank: boolean;
  /** A leading UTF-8 byte order mark was stripped. */
  bom: boolean;
  /** A trailing CR was stripped (a Windows line end), among the trailing blanks or after them. */
  cr: boolean;
  /** How many trailing spaces and tabs were stripped. */
  blanks: number;
  /** How many lines after the first were left out (a final line end starts no line). */
  ignoredLines: number;
}

/** Reads the password from the first line of `text` (see the module's rule). */
export function passwordLine(text: string): PasswordLine {
  const bom = text.startsWith("\uFEFF");
  const body = bom ? text.slice(1) : text;
  const end = body.indexOf("\n");
  const line = end === -1 ? body : body.slice(0, end);
  const rest = end === -1 ? "" : body.slice(end + 1);
  const value = line.replace(/[ \t\r]+$/, "");
  const tail = line.slice(value.length);
  return {
    value,
    blank: body.trim() === "",
    bom,
    cr: tail.includes("\r"),
    blanks: tail.replaceAll("\r", "").length,
    ignoredLines: rest === "" ? 0 : rest.replace(/\n$/, "").split("\n").length,
  };
}

/**
 * What `dnsbeat check` says of a password read from `origin` (a path, or a variable's name):
 * where it came from, its length and what was stripped or left out; never the password.
 */
export function describePasswordLine(
  origin: string,
  line: PasswordLine,
  what = "password",
): string {
  const stripped = [
    line.bom ? "a BOM" : "",
    line.cr ? "a trailing CR" : "",
    line.blanks > 0 ? plural(line.blanks, "trailing blank") : "",
  ].filter((part) => part !== "");
  const notes = [
    stripped.length > 0 ? `stripped: ${stripped.join(", ")}` : "",
    line.ignoredLines > 0 ? `${plural(line.ignoredLines, "more line")} ignored` : "",
  ].filter((part) => part !== "");
  return `${what} from ${origin}: first line, ${characters(line.value)}${
    notes.length > 0 ? ` (${notes.join("; ")})` : ""
  }`;
}

/** `"12 characters"`: the length of `text` in characters (code points), never its content. */
export function characters(text: string): string {
  return plural([...text].length, "character");
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
