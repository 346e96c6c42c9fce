/**
 * Prints a measured figure of a test (timings, counts), for docs/RELIABILITY.md to quote.
 *
 * @module
 */

/** Prints one line to standard output. */
export function report(line: string): void {
  // deno-lint-ignore no-console
  console.log(line);
}
