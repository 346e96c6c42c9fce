/**
 * The emulator's control API, for users in another process (benchmarks, `dnsbeat emulator`):
 *
 * - `GET /_emulator/requests`: every recorded request (JSON, passwords masked)
 * - `GET /_emulator/state`: hosts, sites, blocks, pending faults (JSON)
 * - `POST /_emulator/fault`: queue a fault (JSON body, see {@link Fault})
 * - `POST /_emulator/echo-ip`: `{"ipv4": "...", "ipv6": "..." | null}`, either optional
 * - `POST /_emulator/reset`: back to the start
 *
 * A change answers 204; a malformed body 400 with `{"error": "..."}`.
 *
 * @module
 */
import { type Fault, parseFault, type Reply } from "./faults.ts";

const JSON_TYPE = { "content-type": "application/json" };
const TEXT = { "content-type": "text/plain; charset=utf-8" };
const NO_CONTENT: Reply = { status: 204, body: "", headers: {} };

/** What the control API reads and changes of an emulator (`server.ts`'s `Emulator`). */
export interface Controlled {
  /** Every request recorded, served as JSON. */
  readonly requests: readonly unknown[];
  /** Everything the emulator remembers, served as JSON. */
  state(): unknown;
  /** Queues a scripted fault. */
  pushFault(f: Fault): void;
  /** Sets the address(es) a loopback client is told it has. */
  setEchoIp(ipv4?: string, ipv6?: string | null): void;
  /** Back to the start. */
  reset(): void;
}

/** Answers a request under `/_emulator/`. */
export async function handleControl(
  emulator: Controlled,
  req: Request,
  url: URL,
): Promise<Reply> {
  const name = url.pathname.slice("/_emulator/".length);
  const method = name === "requests" || name === "state" ? "GET" : "POST";
  if (!["requests", "state", "fault", "echo-ip", "reset"].includes(name)) {
    return { status: 404, body: "not found", headers: TEXT };
  }
  if (req.method !== method) {
    return { status: 405, body: "method not allowed", headers: { ...TEXT, allow: method } };
  }
  if (name === "requests") return json(200, emulator.requests);
  if (name === "state") return json(200, emulator.state());
  if (name === "reset") {
    emulator.reset();
    return NO_CONTENT;
  }
  const body = await readJson(req);
  if ("error" in body) return json(400, body);
  if (name === "fault") {
    const fault: Fault | { error: string } = parseFault(body.value);
    if ("error" in fault) return json(400, fault);
    emulator.pushFault(fault);
    return NO_CONTENT;
  }
  const echo = parseEcho(body.value);
  if ("error" in echo) return json(400, echo);
  emulator.setEchoIp(echo.ipv4, echo.ipv6);
  return NO_CONTENT;
}

function json(status: number, value: unknown): Reply {
  return { status, body: JSON.stringify(value), headers: JSON_TYPE };
}

async function readJson(req: Request): Promise<{ value: unknown } | { error: string }> {
  try {
    return { value: await req.json() };
  } catch {
    return { error: "the body is not valid JSON" };
  }
}

function parseEcho(
  json: unknown,
): { ipv4?: string; ipv6?: string | null } | { error: string } {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { error: "echo-ip: expected an object" };
  }
  const { ipv4, ipv6, ...rest } = json as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) return { error: `echo-ip: unknown field "${extra}"` };
  if (ipv4 !== undefined && typeof ipv4 !== "string") {
    return { error: "echo-ip.ipv4: expected a string" };
  }
  if (ipv6 !== undefined && ipv6 !== null && typeof ipv6 !== "string") {
    return { error: "echo-ip.ipv6: expected a string or null" };
  }
  return {
    ...(ipv4 === undefined ? {} : { ipv4 }),
    ...(ipv6 === undefined ? {} : { ipv6 }),
  };
}
