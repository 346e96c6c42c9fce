/**
 * The rules of a hostname (or No-IP group name) in `hostnames`, and what to say when one is
 * broken: which rule, and the name that would be right when dnsbeat can tell.
 *
 * A name is labels joined by dots: each label 1 to 63 letters, digits, `-` or `_`, not starting or
 * ending with `-`; the whole at most 253 characters; no trailing dot (the update servers want the
 * name as the account lists it); ASCII only (a Unicode name is sent in its punycode form).
 *
 * @module
 */

/** The longest label (the part between dots). */
const MAX_LABEL = 63;
/** The longest name. */
const MAX_NAME = 253;

const ALLOWED = /^[A-Za-z0-9_.-]$/;
const LETTERS = 'letters, digits, "-", "_" and "." only';

/**
 * What is wrong with `name` as a hostname for `service` (its label, e.g. `"No-IP"`), with what to
 * do; null when it is a valid name.
 */
export function hostnameProblem(name: string, service: string): string | null {
  const url = urlHost(name);
  if (url !== null) return `is a URL; give the hostname only: ${JSON.stringify(url)}`;
  if ([...name].some((c) => c > "\x7f")) return unicodeProblem(name);
  const dotless = name.endsWith(".") ? name.slice(0, -1) : name;
  const problem = ruleBroken(dotless);
  if (problem !== null) return problem;
  if (dotless !== name) {
    return `ends with a dot; remove the trailing dot: ${service} wants the name without it: ${
      JSON.stringify(dotless)
    }`;
  }
  return null;
}

/** The first rule `name` (ASCII, no trailing dot) breaks, or null. */
function ruleBroken(name: string): string | null {
  const bad = [...name].find((c) => !ALLOWED.test(c));
  if (bad !== undefined) {
    return `has ${showChar(bad)}, which a hostname cannot have (${LETTERS})`;
  }
  const labels = name.split(".");
  if (labels.some((label) => label === "")) {
    return 'has an empty label (a leading dot or two dots in a row); remove the extra "."';
  }
  const long = labels.find((label) => label.length > MAX_LABEL);
  if (long !== undefined) {
    return `has a label of ${long.length} characters (${
      JSON.stringify(`${long.slice(0, 20)}...`)
    }); a label (the part between dots) may have at most ${MAX_LABEL}`;
  }
  if (name.length > MAX_NAME) {
    return `is ${name.length} characters long; a hostname may have at most ${MAX_NAME}`;
  }
  const hyphen = labels.find((label) => label.startsWith("-") || label.endsWith("-"));
  if (hyphen !== undefined) {
    return `has the label ${JSON.stringify(hyphen)}; a label may not start or end with "-"`;
  }
  return null;
}

/** A Unicode name: its punycode form when that is a valid name, else the rule it breaks. */
function unicodeProblem(name: string): string {
  const bad = [...name].find((c) => c <= "\x7f" && !ALLOWED.test(c));
  if (bad !== undefined) return `has ${showChar(bad)}, which a hostname cannot have (${LETTERS})`;
  const dotless = name.endsWith(".") ? name.slice(0, -1) : name;
  const ascii = punycode(dotless);
  if (ascii === null) {
    const culprit = [...dotless].find((c) => c > "\x7f" && punycode(`a${c}`) === null);
    return culprit === undefined
      ? "has no ASCII (punycode) form; check the name"
      : `has ${showChar(culprit)}, which has no ASCII (punycode) form; check the name`;
  }
  const problem = ruleBroken(ascii);
  if (problem !== null) {
    return `is not ASCII, and its ASCII (punycode) form ${JSON.stringify(ascii)} ${problem}`;
  }
  return `is not ASCII; write it in its ASCII (punycode) form${
    dotless === name ? "" : ", without the trailing dot"
  }: ${JSON.stringify(ascii)}`;
}

/** A character for a message: quoted, with its code point when it is not printable ASCII. */
function showChar(c: string): string {
  const code = c.codePointAt(0)!;
  if (code > 0x20 && code < 0x7f) return JSON.stringify(c);
  return `${JSON.stringify(c)} (U+${code.toString(16).toUpperCase().padStart(4, "0")})`;
}

/** The IDNA (punycode) form of `name`, as a browser would send it; null when it has none. */
function punycode(name: string): string | null {
  try {
    return new URL(`http://${name}`).hostname;
  } catch {
    return null;
  }
}

/** The host of `name` when it is an http(s) URL, else null. */
function urlHost(name: string): string | null {
  if (!/^https?:\/\//i.test(name)) return null;
  try {
    return new URL(name).hostname;
  } catch {
    return null;
  }
}
