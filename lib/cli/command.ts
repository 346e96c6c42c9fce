/**
 * The shape of a subcommand, and the options every subcommand shares.
 *
 * @module
 */
import type { ParseArgsOptionsConfig } from "node:util";
import type { Environment, GlobalOptions } from "../app.ts";
import type { ExitCode } from "../exit_codes.ts";

/** Parsed command-line values. */
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** One `dnsbeat` subcommand. */
export interface Command {
  /** One line for `--help`. */
  summary: string;
  /** The arguments after the command name, for `--help`. */
  usage: string;
  /** Options beyond {@link COMMON_OPTIONS}. */
  options: ParseArgsOptionsConfig;
  /** Runs the command; `signal` aborts long-running ones (SIGINT/SIGTERM). */
  run(
    values: Values,
    positionals: string[],
    env: Environment,
    signal: AbortSignal,
  ): Promise<ExitCode>;
}

/** Options every subcommand takes. */
export const COMMON_OPTIONS: ParseArgsOptionsConfig = {
  config: { type: "string" },
  state: { type: "string" },
  debug: { type: "boolean" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/** The shared options of parsed `values`. */
export function globalOptions(values: Values): GlobalOptions {
  return {
    config: typeof values.config === "string" ? values.config : undefined,
    state: typeof values.state === "string" ? values.state : undefined,
    level: values.debug ? "debug" : values.quiet ? "warn" : undefined,
  };
}
