/**
 * dnsbeat's own DNS queries, over UDP (TCP when the reply is truncated), that last as long as the
 * caller's signal allows and no longer.
 *
 * Why not `Deno.resolveDns`: it gives up after about 2 s (two tries of about 1 s each) whatever
 * its caller wants, and its options (`nameServer`, `signal`) can only end a query sooner, so a
 * resolver answering in 1.2 s always failed and the config's `timeout` meant nothing for DNS.
 * Here the query is sent again after 1, 3, 7, 15, ... s on the same socket and with the same
 * message ID, so a late answer to an earlier try still counts, until the caller's signal aborts.
 *
 * The system's resolver is the `nameserver` lines of `/etc/resolv.conf` (the local machine when
 * there are none, as for the C library); the tries go to them in turn.
 *
 * A reply that is not for the query (another ID, another question, another sender) or does not
 * parse is passed over and the query waits on, so a spoofed or broken packet ends as a timeout.
 * `Deno.errors.NotFound` reports NXDOMAIN, NOERROR without records of the type, SERVFAIL and
 * REFUSED alike, as `Deno.resolveDns` did.
 *
 * @module
 */

import dgram from "node:dgram";
import { parseIp } from "./ip.ts";
import { decodeReply, encodeQuery, type RecordType, type Reply } from "./dns_message.ts";

/** A name server: an IP address in canonical form, and a port. */
export interface NameServer {
  /** IPv4 or IPv6 address, without brackets. */
  ipAddr: string;
  /** UDP and TCP port, 1-65535. */
  port: number;
}

/** Where to ask, and until when. */
export interface ResolveOptions {
  /** The server to ask; without it, the system's resolver. */
  nameServer?: NameServer;
  /** Ends the query: it rejects at once. */
  signal: AbortSignal;
}

/** When the tries after the first are sent, in ms after the first. */
const RETRIES_MS = [1_000, 3_000, 7_000, 15_000, 31_000, 63_000];
const RESOLV_CONF = "/etc/resolv.conf";

/** Resolves A or AAAA records into addresses in canonical form. */
export function resolveDns(
  name: string,
  type: "A" | "AAAA",
  options: ResolveOptions,
): Promise<string[]>;
/** Resolves TXT records, each into its strings. */
export function resolveDns(name: string, type: "TXT", options: ResolveOptions): Promise<string[][]>;
/**
 * Resolves `name`'s records of `type` at `options.nameServer` or the system's resolver. Rejects
 * with `Deno.errors.NotFound` when there are none (see the module documentation),
 * `Deno.errors.NotCapable` without the network permission for the server, the socket's error, or
 * an `AbortError` when the signal aborts.
 */
export async function resolveDns(
  name: string,
  type: RecordType,
  options: ResolveOptions,
): Promise<string[] | string[][]> {
  const servers = options.nameServer === undefined
    ? await systemNameServers()
    : [options.nameServer];
  for (const server of servers) {
    const host = `${
      server.ipAddr.includes(":") ? `[${server.ipAddr}]` : server.ipAddr
    }:${server.port}`;
    if (Deno.permissions.querySync({ name: "net", host }).state !== "granted") {
      throw new Deno.errors.NotCapable(`Requires net access to "${host}"`);
    }
  }
  const id = crypto.getRandomValues(new Uint16Array(1))[0]!;
  const query = encodeQuery(id, name, type);
  const read = (packet: Uint8Array) => decodeReply(packet, id, name, type);
  let reply = await overUdp(query, servers, read, options.signal);
  if (reply.kind === "truncated") {
    reply = await overTcp(query, reply.server, read, options.signal);
  }
  if (reply.kind === "records") return reply.records;
  if (reply.kind === "none") {
    throw new Deno.errors.NotFound(`no ${type} record for ${name} (response code ${reply.rcode})`);
  }
  throw new Error(`the reply over TCP was truncated too`);
}

/** The name servers of `/etc/resolv.conf`, or the local machine's when it names none. */
async function systemNameServers(): Promise<NameServer[]> {
  let text = "";
  try {
    text = await Deno.readTextFile(RESOLV_CONF);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error;
  }
  const servers = nameServersIn(text);
  return servers.length > 0 ? servers : [{ ipAddr: "127.0.0.1", port: 53 }];
}

/**
 * The servers of the `nameserver` lines of a resolv.conf text, in order, port 53; addresses that
 * do not parse (one with a zone, `fe80::1%eth0`) are left out.
 */
export function nameServersIn(text: string): NameServer[] {
  return text.split("\n").flatMap((line) => {
    const [keyword, address = ""] = line.trim().split(/\s+/);
    const ip = keyword === "nameserver" ? parseIp(address) : null;
    return ip === null ? [] : [{ ipAddr: ip.address, port: 53 }];
  });
}

type Ended = Exclude<Reply, { kind: "truncated" }> | { kind: "truncated"; server: NameServer };

/**
 * Sends `query` to the servers in turn (the first try at once, the others at {@link RETRIES_MS}),
 * and ends with the first reply `read` makes sense of, from a server asked.
 */
function overUdp(
  query: Uint8Array,
  servers: NameServer[],
  read: (packet: Uint8Array) => Reply | null,
  signal: AbortSignal,
): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const sockets = new Map<"udp4" | "udp6", dgram.Socket>();
    const timers: ReturnType<typeof setTimeout>[] = [];
    const end = (outcome: () => void) => {
      signal.removeEventListener("abort", aborted);
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets.values()) socket.close();
      sockets.clear();
      outcome();
    };
    const aborted = () => end(() => reject(signal.reason));
    const fail = (error: unknown) => end(() => reject(error));
    const socketFor = (server: NameServer): dgram.Socket => {
      const kind = server.ipAddr.includes(":") ? "udp6" : "udp4";
      const open = sockets.get(kind);
      if (open !== undefined) return open;
      const socket = dgram.createSocket(kind);
      sockets.set(kind, socket);
      socket.on("error", fail);
      socket.on("message", (packet: Uint8Array, peer: { address: string; port: number }) => {
        const from = parseIp(peer.address)?.address;
        const server = servers.find((s) => s.ipAddr === from && s.port === peer.port);
        const reply = server === undefined ? null : read(packet);
        if (server === undefined || reply === null) return;
        end(() => resolve(reply.kind === "truncated" ? { kind: "truncated", server } : reply));
      });
      // Bound to loopback when every server of the family is on this machine: that needs no
      // network permission beyond the servers' own.
      const local = servers.filter((s) => s.ipAddr.includes(":") === (kind === "udp6"))
        .every((s) => isLoopback(s.ipAddr));
      socket.bind(0, kind === "udp6" ? (local ? "::1" : "::") : (local ? "127.0.0.1" : "0.0.0.0"));
      return socket;
    };
    const send = (attempt: number) => {
      const server = servers[attempt % servers.length]!;
      try {
        socketFor(server).send(query, server.port, server.ipAddr, (error) => {
          if (error) fail(error);
        });
      } catch (error) {
        fail(error);
      }
    };
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener("abort", aborted);
    send(0);
    RETRIES_MS.forEach((at, i) => timers.push(setTimeout(() => send(i + 1), at)));
  });
}

/** Asks `server` over TCP, each message preceded by its length in two bytes. */
async function overTcp(
  query: Uint8Array,
  server: NameServer,
  read: (packet: Uint8Array) => Reply | null,
  signal: AbortSignal,
): Promise<Ended> {
  const conn = await Deno.connect({ hostname: server.ipAddr, port: server.port, signal });
  const close = () => {
    try {
      conn.close();
    } catch {
      // Closed already, by the signal.
    }
  };
  signal.addEventListener("abort", close);
  try {
    const framed = new Uint8Array(2 + query.length);
    new DataView(framed.buffer).setUint16(0, query.length);
    framed.set(query, 2);
    for (let written = 0; written < framed.length;) {
      written += await conn.write(framed.subarray(written));
    }
    let received = new Uint8Array(0);
    const chunk = new Uint8Array(4096);
    for (;;) {
      const wanted = received.length >= 2 ? 2 + ((received[0]! << 8) | received[1]!) : Infinity;
      if (received.length >= wanted) break;
      const n = await conn.read(chunk);
      if (n === null) throw new Error("the server closed the TCP connection before its reply");
      const next = new Uint8Array(received.length + n);
      next.set(received);
      next.set(chunk.subarray(0, n), received.length);
      received = next;
    }
    const length = (received[0]! << 8) | received[1]!;
    const reply = read(received.subarray(2, 2 + length));
    if (reply === null) throw new Error("the reply over TCP did not parse");
    return reply.kind === "truncated" ? { kind: "truncated", server } : reply;
  } catch (error) {
    signal.throwIfAborted();
    throw error;
  } finally {
    signal.removeEventListener("abort", close);
    close();
  }
}

function isLoopback(ipAddr: string): boolean {
  return ipAddr === "::1" || ipAddr.startsWith("127.");
}
