import assert from "node:assert/strict";
import { type FetchFn, httpRequest, type HttpResult } from "../lib/net/http.ts";
import { assertNoSecret } from "./helpers/secret.ts";

const SECRET = "s3cr3t-VALUE";
const encoder = new TextEncoder();

interface TestServer extends AsyncDisposable {
  url: string;
  close(): Promise<void>;
}

/** A `Deno.serve` server on 127.0.0.1, port 0. */
function serve(handler: (req: Request) => Response | Promise<Response>): TestServer {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  const close = () => server.shutdown();
  return { url: `http://127.0.0.1:${server.addr.port}`, close, [Symbol.asyncDispose]: close };
}

/** A raw TCP server; `handle` runs per connection until `closing()` turns true. */
function rawServer(
  handle: (conn: Deno.Conn, closing: () => boolean) => Promise<void>,
): TestServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const tasks: Promise<void>[] = [];
  let closing = false;
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      tasks.push(handle(conn, () => closing).catch(() => {}));
    }
  })().catch(() => {});
  const close = async () => {
    closing = true;
    listener.close();
    await accepting;
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // Already closed by the handler.
      }
    }
    await Promise.allSettled(tasks);
  };
  return { url: `http://127.0.0.1:${listener.addr.port}`, close, [Symbol.asyncDispose]: close };
}

/** Reads from `conn` until the peer closes it (or it is closed here). */
async function drain(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(4096);
  while ((await conn.read(buf)) !== null);
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

Deno.test("httpRequest: a normal reply, headers sent", async () => {
  let seen: string | null = null;
  await using server = serve((req) => {
    seen = req.headers.get("x-test");
    return new Response("hello\n", { status: 200 });
  });
  const result = await httpRequest({ url: `${server.url}/ip`, headers: { "x-test": "yes" } });
  assert.deepEqual(result, { kind: "reply", status: 200, body: "hello\n", truncated: false });
  assert.equal(seen, "yes");
});

Deno.test("httpRequest: error statuses are replies too", async () => {
  await using server = serve(() => new Response("nope", { status: 500 }));
  assert.deepEqual(await httpRequest({ url: server.url }), {
    kind: "reply",
    status: 500,
    body: "nope",
    truncated: false,
  });
});

Deno.test("httpRequest: an empty body", async () => {
  await using server = serve((req) =>
    new URL(req.url).pathname === "/204"
      ? new Response(null, { status: 204 })
      : new Response("", { status: 200 })
  );
  assert.deepEqual(await httpRequest({ url: server.url }), {
    kind: "reply",
    status: 200,
    body: "",
    truncated: false,
  });
  assert.deepEqual(await httpRequest({ url: `${server.url}/204` }), {
    kind: "reply",
    status: 204,
    body: "",
    truncated: false,
  });
});

Deno.test("httpRequest: invalid UTF-8 becomes replacement characters", async () => {
  await using server = serve(() => new Response(new Uint8Array([0x68, 0xff, 0x69, 0xc3])));
  assert.deepEqual(await httpRequest({ url: server.url }), {
    kind: "reply",
    status: 200,
    body: "h\uFFFDi\uFFFD",
    truncated: false,
  });
});

Deno.test("httpRequest: a 10 MB body is cut at maxBytes quickly", async () => {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  let sent = 0;
  await using server = serve(() =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 10_000_000) return controller.close();
          controller.enqueue(chunk);
          sent += chunk.length;
        },
      }),
    )
  );
  const started = performance.now();
  const result = await httpRequest({ url: server.url, maxBytes: 1000 });
  assert.deepEqual(result, {
    kind: "reply",
    status: 200,
    body: "a".repeat(1000),
    truncated: true,
  });
  assert.ok(performance.now() - started < 2000);
  assert.ok(sent < 10_000_000, "the server was not drained");
});

Deno.test("httpRequest: a body of exactly maxBytes is not truncated, one byte more is", async () => {
  await using server = serve((req) =>
    new Response("x".repeat(Number(new URL(req.url).searchParams.get("n"))))
  );
  assert.deepEqual(await httpRequest({ url: `${server.url}/?n=100`, maxBytes: 100 }), {
    kind: "reply",
    status: 200,
    body: "x".repeat(100),
    truncated: false,
  });
  assert.deepEqual(await httpRequest({ url: `${server.url}/?n=101`, maxBytes: 100 }), {
    kind: "reply",
    status: 200,
    body: "x".repeat(100),
    truncated: true,
  });
});

Deno.test("httpRequest: the cap does not leave half a character", async () => {
  await using server = serve(() => new Response("aé"));
  assert.deepEqual(await httpRequest({ url: server.url, maxBytes: 2 }), {
    kind: "reply",
    status: 200,
    body: "a",
    truncated: true,
  });
});

Deno.test("httpRequest: a server that never answers fails at the deadline", async () => {
  await using server = rawServer((conn) => drain(conn));
  const started = performance.now();
  const result = await httpRequest({ url: server.url, timeoutMs: 300 });
  const elapsed = performance.now() - started;
  assert.deepEqual(result, { kind: "failed", reason: "no complete reply within 300ms" });
  assert.ok(elapsed >= 250 && elapsed < 1500, `${elapsed}ms`);
});

Deno.test("httpRequest: a server trickling one byte every 50ms is cut at the deadline", async () => {
  await using server = rawServer(async (conn, closing) => {
    await conn.read(new Uint8Array(4096));
    await conn.write(encoder.encode("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n"));
    for (let i = 0; i < 200 && !closing(); i++) {
      await conn.write(encoder.encode("x"));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  const started = performance.now();
  const result = await httpRequest({ url: server.url, timeoutMs: 300 });
  const elapsed = performance.now() - started;
  assert.deepEqual(result, { kind: "failed", reason: "no complete reply within 300ms" });
  assert.ok(elapsed >= 250 && elapsed < 1500, `${elapsed}ms`);
});

Deno.test("httpRequest: the deadline in whole seconds reads like 15s", async () => {
  const fetchFn: FetchFn = (_input, init) =>
    new Promise((_resolve, reject) =>
      init?.signal?.addEventListener("abort", () => reject(init.signal?.reason))
    );
  const result = await httpRequest({ url: "https://example.test/", timeoutMs: 1000 }, fetchFn);
  assert.deepEqual(result, { kind: "failed", reason: "no complete reply within 1s" });
});

Deno.test("httpRequest: connection refused is unreached, without the secret", async () => {
  const url = `http://user:${SECRET}@127.0.0.1:${freePort()}/x?password=${SECRET}`;
  const result = await httpRequest({ url, timeoutMs: 2000 });
  assert.deepEqual(result, { kind: "unreached", reason: "connection refused" });
  assertNoSecret(JSON.stringify(result), SECRET);
});

Deno.test("httpRequest: a port fetch never connects to says so, not that the request failed", async () => {
  for (const port of [1, 9, 25]) {
    const result = await httpRequest({ url: `http://127.0.0.1:${port}/`, timeoutMs: 2000 });
    assert.equal(result.kind, "unreached", `port ${port}`);
    assert.match(result.kind === "unreached" ? result.reason : "", /port .*use another port/);
  }
});

Deno.test("httpRequest: a reply that is not HTTP fails", async () => {
  await using server = rawServer(async (conn) => {
    await conn.read(new Uint8Array(4096));
    await conn.write(encoder.encode("garbage garbage\r\n\r\n"));
    conn.close();
  });
  assert.deepEqual(await httpRequest({ url: `${server.url}/?password=${SECRET}` }), {
    kind: "failed",
    reason: "the reply was not valid HTTP",
  });
});

Deno.test("httpRequest: a connection closed before any reply fails (it may have arrived)", async () => {
  await using server = rawServer(async (conn) => {
    await conn.read(new Uint8Array(4096));
    conn.close();
  });
  assert.deepEqual(await httpRequest({ url: server.url }), {
    kind: "failed",
    reason: "connection reset before the reply ended",
  });
});

Deno.test("httpRequest: a connection closed in the middle of the body fails", async () => {
  await using server = rawServer(async (conn) => {
    await conn.read(new Uint8Array(4096));
    await conn.write(encoder.encode("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc"));
    conn.close();
  });
  assert.deepEqual(await httpRequest({ url: server.url }), {
    kind: "failed",
    reason: "connection reset before the reply ended",
  });
});

Deno.test("httpRequest: TLS to a plain HTTP server fails as a TLS error", async () => {
  await using server = rawServer(async (conn) => {
    await conn.read(new Uint8Array(4096));
    await conn.write(encoder.encode("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"));
    conn.close();
  });
  const url = server.url.replace("http:", "https:") + `/?password=${SECRET}`;
  const result = await httpRequest({ url });
  assert.deepEqual(result, { kind: "failed", reason: "TLS handshake failed" });
});

Deno.test("httpRequest: fetch errors are classified by their text, which is never echoed", async () => {
  const url = `https://user:${SECRET}@connection-refused.dns-error.test/?password=${SECRET}`;
  const inner = (detail: string) =>
    new TypeError("fetch failed", {
      cause: new Error(`error sending request for url (${url}): ${detail}`),
    });
  const cases: [unknown, HttpResult][] = [
    [
      inner("client error (Connect): dns error: failed to lookup address information"),
      { kind: "unreached", reason: "DNS lookup failed" },
    ],
    [
      inner("client error (Connect): tcp connect error: Connection refused (os error 111)"),
      { kind: "unreached", reason: "connection refused" },
    ],
    [
      inner("client error (Connect): tcp connect error: No route to host (os error 113)"),
      { kind: "unreached", reason: "no route to the server" },
    ],
    [
      inner("client error (Connect): tcp connect error: Network is unreachable (os error 101)"),
      { kind: "unreached", reason: "no route to the server" },
    ],
    [
      inner("client error (Connect): invalid peer certificate: UnknownIssuer"),
      { kind: "failed", reason: "TLS handshake failed" },
    ],
    [
      inner("client error (Connect): something new"),
      { kind: "failed", reason: "TLS handshake failed" },
    ],
    [
      inner("client error (SendRequest): connection closed before message completed"),
      { kind: "failed", reason: "connection reset before the reply ended" },
    ],
    [
      inner("client error (SendRequest): invalid HTTP version parsed"),
      { kind: "failed", reason: "the reply was not valid HTTP" },
    ],
    [new Error(`weird ${url}`), { kind: "failed", reason: "the request failed" }],
    [new Deno.errors.NotCapable(`Requires net access to ${url}`), {
      kind: "unreached",
      reason: "network access not permitted",
    }],
  ];
  for (const [error, expected] of cases) {
    const result = await httpRequest({ url }, () => Promise.reject(error));
    assert.deepEqual(result, expected, String(error));
    assertNoSecret(JSON.stringify(result), SECRET);
  }
});

Deno.test("httpRequest: URLs that are not http(s) are never fetched", async () => {
  let calls = 0;
  const fetchFn: FetchFn = () => {
    calls++;
    return Promise.resolve(new Response("x"));
  };
  for (const url of ["ftp://example.test/", "not a url", `http://[::1/${SECRET}`]) {
    const result = await httpRequest({ url }, fetchFn);
    assert.deepEqual(result, { kind: "unreached", reason: "not a valid http:// or https:// URL" });
  }
  assert.equal(calls, 0);
});

Deno.test("httpRequest: a same-origin redirect is followed with the headers", async () => {
  const seen: [string, string | null][] = [];
  await using server = serve((req) => {
    const url = new URL(req.url);
    seen.push([url.pathname + url.search, req.headers.get("authorization")]);
    if (url.pathname === "/start") {
      return new Response(null, { status: 302, headers: { location: "/end?x=1" } });
    }
    return new Response("done");
  });
  const result = await httpRequest({
    url: `${server.url}/start`,
    headers: { authorization: "Basic abc" },
  });
  assert.deepEqual(result, { kind: "reply", status: 200, body: "done", truncated: false });
  assert.deepEqual(seen, [["/start", "Basic abc"], ["/end?x=1", "Basic abc"]]);
});

Deno.test("httpRequest: a cross-origin redirect is refused; the other server gets nothing", async () => {
  const other: (string | null)[] = [];
  await using second = serve((req) => {
    other.push(req.headers.get("authorization"));
    return new Response("stolen");
  });
  await using first = serve(() =>
    new Response("moved", {
      status: 307,
      headers: { location: `${second.url.replace("//", `//u:${SECRET}@`)}/land?pw=${SECRET}#f` },
    })
  );
  const result = await httpRequest({
    url: first.url,
    headers: { authorization: `Basic ${SECRET}` },
  });
  assert.deepEqual(result, {
    kind: "redirect-refused",
    status: 307,
    location: `${second.url}/land`,
    reason: "the server redirected to another server, which would receive the credentials",
  });
  assert.deepEqual(other, []);
  assertNoSecret(JSON.stringify(result), SECRET);
});

/** A fake fetch answering from a table keyed by URL, recording calls. */
function tableFetch(table: Record<string, Response>): { fetchFn: FetchFn; calls: string[] } {
  const calls: string[] = [];
  const fetchFn: FetchFn = (input, init) => {
    const url = String(input);
    calls.push(url);
    assert.equal(init?.redirect, "manual");
    const response = table[url];
    return response ? Promise.resolve(response) : Promise.reject(new TypeError("unexpected"));
  };
  return { fetchFn, calls };
}

const redirect = (status: number, location: string) =>
  new Response(null, { status, headers: { location } });

Deno.test("httpRequest: an https to http downgrade is refused, even on the same host", async () => {
  const { fetchFn, calls } = tableFetch({
    "https://dyn.example/nic/update?x=1": redirect(
      302,
      `http://dyn.example/nic?password=${SECRET}`,
    ),
  });
  const result = await httpRequest({ url: "https://dyn.example/nic/update?x=1" }, fetchFn);
  assert.deepEqual(result, {
    kind: "redirect-refused",
    status: 302,
    location: "http://dyn.example/nic",
    reason: "the server redirected from https:// to plain http://",
  });
  assert.equal(calls.length, 1);
});

Deno.test("httpRequest: the same host upgrading http to https is followed", async () => {
  const { fetchFn, calls } = tableFetch({
    "http://dyn.example:8245/ip": redirect(301, "https://dyn.example/ip"),
    "https://dyn.example/ip": new Response("1.2.3.4"),
  });
  const result = await httpRequest({ url: "http://dyn.example:8245/ip" }, fetchFn);
  assert.deepEqual(result, { kind: "reply", status: 200, body: "1.2.3.4", truncated: false });
  assert.deepEqual(calls, ["http://dyn.example:8245/ip", "https://dyn.example/ip"]);
});

Deno.test("httpRequest: an upgrade to another host is refused", async () => {
  const { fetchFn } = tableFetch({
    "http://dyn.example/ip": redirect(301, "https://evil.example/ip"),
  });
  const result = await httpRequest({ url: "http://dyn.example/ip" }, fetchFn);
  assert.equal(result.kind, "redirect-refused");
});

Deno.test("httpRequest: at most 3 redirects are followed", async () => {
  let requests = 0;
  await using server = serve((req) => {
    requests++;
    const n = Number(new URL(req.url).pathname.slice(1) || 0);
    return redirect(302, `/${n + 1}`);
  });
  assert.deepEqual(await httpRequest({ url: server.url }), {
    kind: "redirect-refused",
    status: 302,
    location: `${server.url}/4`,
    reason: "more than 3 redirects",
  });
  assert.equal(requests, 4);
});

Deno.test("httpRequest: a redirect to a non-http scheme is refused; no Location is a reply", async () => {
  const { fetchFn } = tableFetch({
    "https://a.example/": redirect(302, "file:///etc/passwd"),
    "https://b.example/": new Response("see other", { status: 302 }),
  });
  assert.deepEqual(await httpRequest({ url: "https://a.example/" }, fetchFn), {
    kind: "redirect-refused",
    status: 302,
    location: "",
    reason: "the server redirected to something that is not an http:// or https:// URL",
  });
  assert.deepEqual(await httpRequest({ url: "https://b.example/" }, fetchFn), {
    kind: "reply",
    status: 302,
    body: "see other",
    truncated: false,
  });
});

Deno.test("httpRequest: the caller's abort ends the request as aborted", async () => {
  const server = rawServer((conn) => drain(conn));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 50);
  try {
    const started = performance.now();
    const result = await httpRequest({
      url: server.url,
      timeoutMs: 5000,
      signal: controller.signal,
    });
    assert.deepEqual(result, { kind: "aborted" });
    assert.ok(performance.now() - started < 1500);
  } finally {
    clearTimeout(timer);
    await server.close();
  }
});

Deno.test("httpRequest: the caller's abort while the body trickles is aborted", async () => {
  const server = rawServer(async (conn, closing) => {
    await conn.read(new Uint8Array(4096));
    await conn.write(encoder.encode("HTTP/1.1 200 OK\r\n\r\n"));
    for (let i = 0; i < 200 && !closing(); i++) {
      await conn.write(encoder.encode("x"));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 150);
  try {
    const result = await httpRequest({
      url: server.url,
      timeoutMs: 5000,
      signal: controller.signal,
    });
    assert.deepEqual(result, { kind: "aborted" });
  } finally {
    clearTimeout(timer);
    await server.close();
  }
});

Deno.test("httpRequest: an already aborted signal never fetches", async () => {
  const { fetchFn, calls } = tableFetch({});
  const result = await httpRequest(
    { url: "https://a.example/", signal: AbortSignal.abort() },
    fetchFn,
  );
  assert.deepEqual(result, { kind: "aborted" });
  assert.deepEqual(calls, []);
});
