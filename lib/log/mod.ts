/**
 * The one logger. Levels error, warn, info, debug; a timestamp on each line when the output is
 * not a terminal (a service's journal or a log file); colour only on a terminal and only when
 * `NO_COLOR` is unset.
 *
 * The logger masks nothing: a secret never enters a message, since dnsbeat's own sentences are
 * built from the config's names, never its passwords, and text that comes from outside (a
 * server's reply, a URL, a header) is masked where it enters a message (`redact.ts`). Masking
 * whole lines would reveal a password that is an ordinary word by where the stars land.
 *
 * @module
 */
import type { Clock } from "../clock.ts";

/** Log levels, most severe first. */
export const LEVELS = ["error", "warn", "info", "debug"] as const;

/** One of {@link LEVELS}. */
export type Level = typeof LEVELS[number];

/** Where dnsbeat's messages go. */
export interface Logger {
  /** Something failed or stopped; the user must act. */
  error(message: string): void;
  /** Something is off but dnsbeat goes on. */
  warn(message: string): void;
  /** What dnsbeat did. */
  info(message: string): void;
  /** Detail for troubleshooting (`--debug`). */
  debug(message: string): void;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lines below this level are dropped. */
  level: Level;
  /** Receives each finished line (no trailing newline) and its level. */
  write: (line: string, level: Level) => void;
  /** Prefix lines with an ISO timestamp. */
  timestamps: boolean;
  /** Colour the level tag (terminal only). */
  color: boolean;
  /** The time source for timestamps. */
  clock: Clock;
}

const COLORS: Record<Level, string> = {
  error: "\x1b[31m",
  warn: "\x1b[33m",
  info: "\x1b[36m",
  debug: "\x1b[90m",
};

/** A logger writing formatted lines through `options.write`. */
export function createLogger(options: LoggerOptions): Logger {
  const limit = LEVELS.indexOf(options.level);
  const emit = (level: Level, message: string) => {
    if (LEVELS.indexOf(level) > limit) return;
    const tag = options.color ? `${COLORS[level]}${level}\x1b[0m` : level;
    const stamp = options.timestamps ? `${new Date(options.clock.now()).toISOString()} ` : "";
    options.write(`${stamp}${tag}: ${message}`, level);
  };
  return {
    error: (m) => emit("error", m),
    warn: (m) => emit("warn", m),
    info: (m) => emit("info", m),
    debug: (m) => emit("debug", m),
  };
}

/** A logger for the terminal: errors and warnings to stderr, the rest to stdout. */
export function consoleLogger(level: Level, clock: Clock): Logger {
  const isTerminal = Deno.stderr.isTerminal();
  return createLogger({
    level,
    clock,
    timestamps: !isTerminal,
    color: isTerminal && !Deno.noColor,
    write: (line, lvl) => {
      const stream = lvl === "error" || lvl === "warn" ? Deno.stderr : Deno.stdout;
      writeAll(stream, line + "\n");
    },
  });
}

/** Writes all of `text` to a stream, however many writes it takes. */
export function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  let data = new TextEncoder().encode(text);
  while (data.length > 0) data = data.subarray(stream.writeSync(data));
}
