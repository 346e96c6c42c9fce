/**
 * What a message about the config may show of what it found, the one rule for every part of it
 * (top level, providers, notification sinks and their templates): a value that is not secret as
 * JSON, cut at 60 characters ({@link show}); a list or an object only by its kind, as it may hold a
 * secret; a secret only by its kind and length ({@link kind}); a name that is not known only if it
 * looks like a name ({@link nameLike}), with the known name nearest to it ({@link didYouMean}).
 *
 * @module
 */

/** What kind of value `value` is, for a message that must not show it. */
export function kind(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (typeof value === "string") return `a string of ${value.length} characters`;
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/** A found value for a message: lists and objects only by kind, as they may hold a secret. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "object" && value !== null) return kind(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Whether a message may show `text`, a name that is not known (a field, a placeholder): only if it
 * looks like a name (a letter, then up to 19 letters, digits, `_` or `-`); anything else may be a
 * token pasted into the wrong place.
 */
export function nameLike(text: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_-]{0,19}$/.test(text);
}

/**
 * The name of `known` nearest to `word`, ignoring case, if it is near enough to be a slip: at most
 * one edit (a letter added, dropped or changed, or two neighbours swapped) from a name of up to four
 * letters, two from a longer one; of equally near names, the first.
 *
 * @example
 * ```ts
 * nearest("intervall", ["hostnames", "interval"]); // "interval"
 * nearest("post", ["GET", "POST"]); // "POST"
 * nearest("PUT", ["GET", "POST"]); // undefined
 * ```
 */
export function nearest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined, bestDistance = Infinity;
  for (const name of known) {
    if (Math.abs(name.length - word.length) > 2) continue;
    const d = distance(name.toLowerCase(), word.toLowerCase());
    if (d <= (name.length > 4 ? 2 : 1) && d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

/** ` (did you mean "NAME"?)` with the name of `known` {@link nearest} to `word`, or "". */
export function didYouMean(word: unknown, known: readonly string[]): string {
  const near = typeof word === "string" ? nearest(word, known) : undefined;
  return near === undefined ? "" : ` (did you mean "${near}"?)`;
}

/** Edits (insert, delete, change, swap two neighbours) that turn `a` into `b`. */
function distance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(
        rows[i - 1]![j]! + 1,
        row[j - 1]! + 1,
        rows[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}
