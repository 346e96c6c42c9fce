/**
 * Reading a running child's output line by line, waiting for a line that matches, with a
 * deadline: for tests that act on what a daemon says (it holds the lock, a request is in flight).
 *
 * @module
 */

/** Collects the text of a stream as it arrives. */
export class LineReader {
  #text = "";
  #ended = false;
  #waiters: (() => void)[] = [];
  readonly #done: Promise<void>;

  /** Starts reading `stream` (a child's stdout or stderr) to its end. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#done = (async () => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        this.#text += chunk;
        this.#wake();
      }
      this.#ended = true;
      this.#wake();
    })();
  }

  /** Everything read so far. */
  get text(): string {
    return this.#text;
  }

  /**
   * The first complete line matching `pattern`, once it has arrived. Rejects when the stream
   * ends without one, or after `timeoutMs`.
   */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.#text.split("\n").slice(0, -1).find((l) => pattern.test(l));
      if (line !== undefined) return line;
      const left = deadline - Date.now();
      if (this.#ended || left <= 0) {
        throw new Error(
          `no line matching ${pattern} ${
            this.#ended ? "before the end" : "in time"
          }:\n${this.#text}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /** All of the text, once the stream has ended. */
  async all(): Promise<string> {
    await this.#done;
    return this.#text;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** A spawned child with both outputs being read. */
export interface Watched {
  /** The process. */
  child: Deno.ChildProcess;
  /** Its standard output. */
  stdout: LineReader;
  /** Its standard error. */
  stderr: LineReader;
}

/** Starts reading a child's stdout and stderr (both must be piped). */
export function watch(child: Deno.ChildProcess): Watched {
  return { child, stdout: new LineReader(child.stdout), stderr: new LineReader(child.stderr) };
}

/** Waits for the child to end; returns its exit code, all its output and how long it took. */
export async function finish(
  w: Watched,
  since = performance.now(),
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const { code } = await w.child.status;
  const ms = Math.round(performance.now() - since);
  return { code, stdout: await w.stdout.all(), stderr: await w.stderr.all(), ms };
}
