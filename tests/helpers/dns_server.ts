/**
 * A tiny DNS responder for tests: it listens on 127.0.0.1 (UDP, and optionally TCP on the same
 * port), answers each query from a table the test sets per (name, type), and records every query
 * it got. Besides normal answers it can misbehave on purpose: error codes, silence, slow or
 * malformed replies, the TC bit, records of the wrong type or with garbage data, and a message ID
 * that does not match the query.
 *
 * It uses `node:dgram` and `node:net` because `Deno.listenDatagram` still needs `--unstable-net`.
 *
 * @module
 */

import dgram from "node:dgram";
import net from "node:net";

/** A record type the responder knows by name. */
export type DnsType = "A" | "AAAA" | "TXT";

/** One answer record; `raw` sends any type code with any data, to build lying answers. */
export type DnsRecord =
  | { type: "A"; address: string }
  | { type: "AAAA"; address: string }
  | { type: "TXT"; strings: string[] }
  | { type: "raw"; code: number; data: Uint8Array };

/**
 * How the responder replies to one (name, type):
 * - `answer`: NOERROR with these records (none: NOERROR without data);
 * - `nxdomain`, `servfail`, `refused`: that response code, without records;
 * - `silence`: no reply at all;
 * - `malformed`: a reply whose only record claims more data than the packet holds;
 * - `truncated`: over UDP, NOERROR with the TC bit set and no records; over TCP, these records;
 * - `wrong-id`: NOERROR with these records, but a message ID that does not match the query's.
 *
 * `delayMs` delays the reply.
 */
export type DnsReply =
  & (
    | { kind: "answer" | "truncated" | "wrong-id"; records: DnsRecord[] }
    | { kind: "nxdomain" | "servfail" | "refused" | "silence" | "malformed" }
  )
  & { delayMs?: number };

/** A query the responder received. */
export interface DnsQuery {
  /** The name asked for, in lower case, without a trailing dot. */
  name: string;
  /** The type asked for: its name for A, AAAA and TXT, else its number. */
  type: DnsType | number;
  /** How it came. */
  transport: "udp" | "tcp";
}

/** Replies by name (any case, no trailing dot), then by type. */
export type DnsZone = Record<string, Partial<Record<DnsType, DnsReply>>>;

/** What to start. */
export interface DnsServerOptions {
  /** The replies to start with (default: none). */
  zone?: DnsZone;
  /** Whether to serve TCP too, on the same port (default: UDP only). */
  tcp?: boolean;
}

/** A running responder; disposing it is {@link DnsServer.close}. */
export interface DnsServer extends AsyncDisposable {
  /** Always 127.0.0.1. */
  address: "127.0.0.1";
  /** The port it listens on. */
  port: number;
  /** Every query received so far, oldest first. */
  queries: DnsQuery[];
  /** Sets (or replaces) how it replies to a name and type. */
  set(name: string, type: DnsType, reply: DnsReply): void;
  /** Stops listening, drops TCP connections and cancels delayed replies. */
  close(): Promise<void>;
}

/**
 * Starts a responder on 127.0.0.1, on a free port. A name absent from the zone gets NXDOMAIN; a
 * name present but without a reply for the type asked gets NOERROR without records.
 */
export async function startDnsServer(options: DnsServerOptions = {}): Promise<DnsServer> {
  const zone = new Map<string, Map<DnsType, DnsReply>>();
  const set = (name: string, type: DnsType, reply: DnsReply): void => {
    const key = normalize(name);
    const types = zone.get(key) ?? new Map<DnsType, DnsReply>();
    types.set(type, reply);
    zone.set(key, types);
  };
  for (const [name, types] of Object.entries(options.zone ?? {})) {
    for (const [type, reply] of Object.entries(types)) set(name, type as DnsType, reply);
  }

  const queries: DnsQuery[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const respond = (
    message: Uint8Array,
    transport: DnsQuery["transport"],
    send: (packet: Uint8Array) => void,
  ): void => {
    const query = parseQuery(message);
    if (query === null) return;
    const typeName = TYPE_NAMES.get(query.type);
    queries.push({ name: query.name, type: typeName ?? query.type, transport });
    const types = zone.get(query.name);
    const reply: DnsReply = types === undefined
      ? { kind: "nxdomain" }
      : (typeName === undefined ? undefined : types.get(typeName)) ??
        { kind: "answer", records: [] };
    if (reply.kind === "silence") return;
    const packet = buildReply(message, query.end, reply, transport);
    if (reply.delayMs === undefined) return send(packet);
    const timer = setTimeout(() => {
      timers.delete(timer);
      send(packet);
    }, reply.delayMs);
    timers.add(timer);
  };

  const { udp, tcp } = await listen(options.tcp ?? false);
  udp.on("message", (message: Uint8Array, peer: { address: string; port: number }) => {
    respond(message, "udp", (packet) => udp.send(packet, peer.port, peer.address));
  });
  const connections = new Set<net.Socket>();
  tcp?.on("connection", (socket: net.Socket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
    socket.on("error", () => socket.destroy());
    let buffered: Uint8Array = new Uint8Array(0);
    socket.on("data", (chunk: Uint8Array) => {
      buffered = concat([buffered, chunk]);
      // Each TCP message is preceded by its length in two bytes.
      while (buffered.length >= 2) {
        const length = (buffered[0]! << 8) | buffered[1]!;
        if (buffered.length < 2 + length) break;
        respond(buffered.slice(2, 2 + length), "tcp", (packet) => {
          socket.write(concat([Uint8Array.of(packet.length >> 8, packet.length & 0xff), packet]));
        });
        buffered = buffered.slice(2 + length);
      }
    });
  });

  const close = async () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    for (const socket of connections) socket.destroy();
    await Promise.all([
      new Promise<void>((resolve) => udp.close(() => resolve())),
      tcp && new Promise<void>((resolve) => tcp.close(() => resolve())),
    ]);
  };
  return {
    address: "127.0.0.1",
    port: udp.address().port,
    queries,
    set,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Binds UDP to a free port and, if asked, TCP to the same port, retrying if TCP's is taken. */
async function listen(withTcp: boolean): Promise<{ udp: dgram.Socket; tcp: net.Server | null }> {
  for (let attempt = 1;; attempt++) {
    const udp = dgram.createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(0, "127.0.0.1", () => resolve());
    });
    if (!withTcp) return { udp, tcp: null };
    const tcp = net.createServer();
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once("error", () => resolve(false));
      tcp.listen(udp.address().port, "127.0.0.1", () => resolve(true));
    });
    if (listening) return { udp, tcp };
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (attempt === 10) throw new Error("no port free for both UDP and TCP on 127.0.0.1");
  }
}

const TYPE_CODES: Record<DnsType, number> = { A: 1, AAAA: 28, TXT: 16 };
const TYPE_NAMES = new Map<number, DnsType>(
  Object.entries(TYPE_CODES).map(([name, code]) => [code, name as DnsType]),
);
const RCODES = { nxdomain: 3, servfail: 2, refused: 5 } as const;

function normalize(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

/** Reads the question of a query; `end` is the offset just past it. */
function parseQuery(message: Uint8Array): { name: string; type: number; end: number } | null {
  if (message.length < 12 || (message[2]! & 0x80) !== 0) return null;
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    const length = message[offset];
    if (length === undefined || length > 63) return null;
    offset++;
    if (length === 0) break;
    labels.push(new TextDecoder().decode(message.subarray(offset, offset + length)));
    offset += length;
  }
  if (offset + 4 > message.length) return null;
  const type = (message[offset]! << 8) | message[offset + 1]!;
  return { name: normalize(labels.join(".")), type, end: offset + 4 };
}

/** Builds the reply to `query`, whose question ends at `questionEnd`. */
function buildReply(
  query: Uint8Array,
  questionEnd: number,
  reply: DnsReply,
  transport: DnsQuery["transport"],
): Uint8Array {
  const truncate = reply.kind === "truncated" && transport === "udp";
  const records = "records" in reply && !truncate ? reply.records : [];
  const answers = records.map(encodeRecord);
  let flags = 0x8400 | (query[2]! & 0x01) << 8; // QR and AA set, RD copied from the query.
  if (reply.kind === "nxdomain" || reply.kind === "servfail" || reply.kind === "refused") {
    flags |= RCODES[reply.kind];
  }
  if (truncate) flags |= 0x0200;
  if (reply.kind === "malformed") {
    // An A record announcing 200 bytes of data, followed by only 4.
    answers.push(Uint8Array.of(0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 200, 1, 2, 3, 4));
  }
  const header = new Uint8Array(12);
  const view = new DataView(header.buffer);
  const id = (query[0]! << 8) | query[1]!;
  view.setUint16(0, reply.kind === "wrong-id" ? id ^ 0xffff : id);
  view.setUint16(2, flags);
  view.setUint16(4, 1);
  view.setUint16(6, answers.length);
  return concat([header, query.subarray(12, questionEnd), ...answers]);
}

/** Encodes one answer record, its name a pointer to the question's name. */
function encodeRecord(record: DnsRecord): Uint8Array {
  const [code, data] = record.type === "raw"
    ? [record.code, record.data]
    : [TYPE_CODES[record.type], encodeData(record)];
  const head = new Uint8Array(12);
  const view = new DataView(head.buffer);
  view.setUint16(0, 0xc00c);
  view.setUint16(2, code);
  view.setUint16(4, 1); // Class IN.
  view.setUint32(6, 60); // TTL.
  view.setUint16(10, data.length);
  return concat([head, data]);
}

function encodeData(record: Exclude<DnsRecord, { type: "raw" }>): Uint8Array {
  switch (record.type) {
    case "A":
      return Uint8Array.from(record.address.split(".").map(Number));
    case "AAAA":
      return encodeIpv6(record.address);
    case "TXT":
      return concat(record.strings.map((text) => {
        const bytes = new TextEncoder().encode(text);
        return concat([Uint8Array.of(bytes.length), bytes]);
      }));
  }
}

/** Encodes an IPv6 address written as hex groups with at most one `::`. */
function encodeIpv6(address: string): Uint8Array {
  const groups = (part: string) => part === "" ? [] : part.split(":").map((g) => parseInt(g, 16));
  const [head = "", tail] = address.split("::");
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  all.forEach((group, i) => view.setUint16(2 * i, group));
  return bytes;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
