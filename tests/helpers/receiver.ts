/**
 * A tiny HTTP server on 127.0.0.1 (port 0) that records every request and answers as told: a
 * status, an echo of the request, a slow answer, an answer held until the test lets it go, a reply
 * cut off in the middle, or no answer at all (until the receiver closes). It is `AsyncDisposable`.
 *
 * @module
 */

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  /** The method. */
  method: string;
  /** Path and query, as sent (percent-encoded). */
  path: string;
  /** Headers, names lower-cased. */
  headers: Record<string, string>;
  /** The body as text. */
  body: string;
}

/** How the receiver answers. */
export type Behaviour =
  /** Answer `status` with `body` (default empty) and extra `headers`. */
  | { kind: "status"; status: number; body?: string; headers?: Record<string, string> }
  /** Answer `status` with the request (path, headers, body) as the body. */
  | { kind: "echo"; status: number }
  /** Answer `status` (default 200) after `delayMs`. */
  | { kind: "slow"; delayMs: number; status?: number }
  /** Answer `status` (default 200) once {@link Receiver.letGo} is called. */
  | { kind: "held"; status?: number }
  /** Never answer. */
  | { kind: "hang" }
  /** Answer 200 and start the body, then close the connection before it ends. */
  | { kind: "cut" };

/** A running receiver; disposing it is {@link Receiver.close}. */
export interface Receiver extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Every request so far, in order. */
  requests: ReceivedRequest[];
  /** Changes how later requests are answered. */
  answer(behaviour: Behaviour): void;
  /** Resolves with the requests once there are at least `count`; rejects after 5 s. */
  received(count: number): Promise<ReceivedRequest[]>;
  /** Answers the requests held so far (see the `held` behaviour). */
  letGo(): void;
  /** Releases hanging and slow requests and stops the server. */
  close(): Promise<void>;
}

/** Starts a receiver that answers as `behaviour` says (default: 200). */
export function startReceiver(
  behaviour: Behaviour = { kind: "status", status: 200 },
): Receiver {
  const requests: ReceivedRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let current = behaviour;
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  let letGo!: () => void;
  let held = new Promise<void>((resolve) => letGo = resolve);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const request: ReceivedRequest = {
      method: req.method,
      path: url.pathname + url.search,
      headers: Object.fromEntries(req.headers),
      body: await req.text(),
    };
    requests.push(request);
    for (const waiter of waiters.filter((w) => requests.length >= w.count)) waiter.resolve();
    const now = current;
    switch (now.kind) {
      case "status": {
        const empty = now.status === 204 || now.status === 304;
        return new Response(empty ? null : now.body ?? "", {
          status: now.status,
          headers: now.headers,
        });
      }
      case "echo":
        return new Response(JSON.stringify(request), { status: now.status });
      case "slow":
        await wait(now.delayMs, released);
        return new Response("", { status: now.status ?? 200 });
      case "held":
        await Promise.race([held, released]);
        return new Response("", { status: now.status ?? 200 });
      case "hang":
        await wait(Infinity, released);
        return new Response("", { status: 503 });
      case "cut": {
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("half a rep"));
          },
          pull(controller) {
            controller.error(new Error("cut"));
          },
        });
        return new Response(body, { status: 200, headers: { "content-length": "1000" } });
      }
    }
  });
  const close = async () => {
    release();
    await server.shutdown();
  };
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    answer(next) {
      current = next;
    },
    received(count) {
      if (requests.length >= count) return Promise.resolve([...requests]);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`expected ${count} requests within 5s, got ${requests.length}`));
        }, 5000);
        const waiter = {
          count,
          resolve: () => {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(waiter), 1);
            resolve([...requests]);
          },
        };
        waiters.push(waiter);
      });
    },
    letGo() {
      letGo();
      held = new Promise<void>((resolve) => letGo = resolve);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Waits `ms` (forever for `Infinity`), or until `released`. */
function wait(ms: number, released: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = Number.isFinite(ms) ? setTimeout(resolve, ms) : undefined;
    released.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
