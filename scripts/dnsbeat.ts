/**
 * Runs `main.ts` with exactly the permissions the compiled binary has (lib/permissions.ts), so
 * that `deno task demo` and `deno task dnsbeat ...` behave as the shipped binary does.
 *
 * @module
 */
import { PERMISSION_FLAGS } from "../lib/permissions.ts";

/** The `deno run` arguments that start dnsbeat's `main.ts` as the binary would run. */
export function dnsbeatArgs(args: readonly string[]): string[] {
  const main = new URL("../main.ts", import.meta.url).pathname;
  return ["run", "--quiet", ...PERMISSION_FLAGS, main, ...args];
}

if (import.meta.main) {
  const child = new Deno.Command(Deno.execPath(), {
    args: dnsbeatArgs(Deno.args),
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    Deno.addSignalListener(signal, () => child.kill(signal));
  }
  Deno.exit((await child.status).code);
}
