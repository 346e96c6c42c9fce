/**
 * A temporary directory for one test, removed with everything in it when disposed
 * (`await using dir = await tempDir("name")`).
 *
 * @module
 */

/** A temporary directory, removed with everything in it when disposed. */
export interface TempDir extends AsyncDisposable {
  /** Its path. */
  path: string;
}

/** Makes a temporary directory named `dnsbeat-PREFIX-...`. */
export async function tempDir(prefix = "test"): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix: `dnsbeat-${prefix}-` });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}
