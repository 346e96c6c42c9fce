/**
 * DNS messages (RFC 1035): the query dnsbeat sends for one name and type, and reading the reply
 * to it. Pure: no sockets here (`dns_resolver.ts` sends and receives).
 *
 * @module
 */

import { parseIp } from "./ip.ts";

/** The record types dnsbeat asks for. */
export type RecordType = "A" | "AAAA" | "TXT";

/** What a reply to a query says. */
export type Reply =
  /** The reply did not fit and has to be asked for again over TCP (the TC bit). */
  | { kind: "truncated" }
  /** NXDOMAIN, NOERROR without records of the type, SERVFAIL, REFUSED or another error code. */
  | { kind: "none"; rcode: number }
  /** Addresses (A, AAAA: canonical text) or TXT records (each its strings), in answer order. */
  | { kind: "records"; records: string[] | string[][] };

const TYPE_CODES: Record<RecordType, number> = { A: 1, AAAA: 28, TXT: 16 };
const CLASS_IN = 1;
const HEADER = 12;

/**
 * A standard query with message ID `id` (0-65535) for `name` (a DNS name without a final dot)
 * and `type`, recursion desired.
 */
export function encodeQuery(id: number, name: string, type: RecordType): Uint8Array {
  const labels = name.split(".").map((label) => new TextEncoder().encode(label));
  const question = new Uint8Array(labels.reduce((sum, l) => sum + 1 + l.length, 0) + 5);
  let offset = 0;
  for (const label of labels) {
    question[offset++] = label.length;
    question.set(label, offset);
    offset += label.length;
  }
  const view = new DataView(question.buffer);
  view.setUint8(offset, 0);
  view.setUint16(offset + 1, TYPE_CODES[type]);
  view.setUint16(offset + 3, CLASS_IN);
  const message = new Uint8Array(HEADER + question.length);
  const header = new DataView(message.buffer);
  header.setUint16(0, id);
  header.setUint16(2, 0x0100); // A standard query, recursion desired.
  header.setUint16(4, 1); // One question.
  message.set(question, HEADER);
  return message;
}

/**
 * Reads `packet` as the reply to the query {@link encodeQuery} made with `id`, `name` and `type`.
 * Returns `null` for anything else: a packet that is not a reply, carries another ID or another
 * question, or does not parse (a record running past the end, an address of the wrong length).
 * Answer records of other types (a CNAME on the way) are passed over.
 */
export function decodeReply(
  packet: Uint8Array,
  id: number,
  name: string,
  type: RecordType,
): Reply | null {
  if (packet.length < HEADER) return null;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const flags = view.getUint16(2);
  const isReply = (flags & 0x8000) !== 0;
  const opcode = (flags >> 11) & 0xf;
  if (view.getUint16(0) !== id || !isReply || opcode !== 0 || view.getUint16(4) !== 1) {
    return null;
  }
  const question = readName(packet, HEADER);
  if (question === null || question.end + 4 > packet.length) return null;
  if (
    question.name !== name.toLowerCase() ||
    view.getUint16(question.end) !== TYPE_CODES[type] ||
    view.getUint16(question.end + 2) !== CLASS_IN
  ) {
    return null;
  }
  if ((flags & 0x0200) !== 0) return { kind: "truncated" };
  const rcode = flags & 0xf;
  const records: (string | string[])[] = [];
  let offset = question.end + 4;
  for (let i = view.getUint16(6); i > 0; i--) {
    const owner = readName(packet, offset);
    if (owner === null || owner.end + 10 > packet.length) return null;
    const code = view.getUint16(owner.end);
    const klass = view.getUint16(owner.end + 2);
    const length = view.getUint16(owner.end + 8);
    const start = owner.end + 10;
    if (start + length > packet.length) return null;
    if (code === TYPE_CODES[type] && klass === CLASS_IN) {
      const data = readData(packet.subarray(start, start + length), type);
      if (data === null) return null;
      records.push(data);
    }
    offset = start + length;
  }
  if (rcode !== 0 || records.length === 0) return { kind: "none", rcode };
  return { kind: "records", records: records as string[] | string[][] };
}

/** The name at `offset` in lower case, following compression pointers; `end` is just past it. */
function readName(packet: Uint8Array, offset: number): { name: string; end: number } | null {
  const labels: string[] = [];
  let end: number | null = null;
  for (let jumps = 0; jumps < 32;) {
    const length = packet[offset];
    if (length === undefined) return null;
    if ((length & 0xc0) === 0xc0) {
      const low = packet[offset + 1];
      if (low === undefined) return null;
      end ??= offset + 2;
      offset = ((length & 0x3f) << 8) | low;
      jumps++;
      continue;
    }
    if (length > 63) return null;
    if (length === 0) {
      return { name: labels.join(".").toLowerCase(), end: end ?? offset + 1 };
    }
    if (offset + 1 + length > packet.length) return null;
    labels.push(new TextDecoder().decode(packet.subarray(offset + 1, offset + 1 + length)));
    offset += 1 + length;
  }
  return null;
}

/** The data of one record of `type`: an address in canonical form, or the strings of a TXT. */
function readData(data: Uint8Array, type: RecordType): string | string[] | null {
  switch (type) {
    case "A":
      return data.length === 4 ? data.join(".") : null;
    case "AAAA": {
      if (data.length !== 16) return null;
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const groups = Array.from({ length: 8 }, (_, i) => view.getUint16(2 * i).toString(16));
      return parseIp(groups.join(":"))!.address;
    }
    case "TXT": {
      const strings: string[] = [];
      for (let offset = 0; offset < data.length;) {
        const length = data[offset]!;
        if (offset + 1 + length > data.length) return null;
        strings.push(new TextDecoder().decode(data.subarray(offset + 1, offset + 1 + length)));
        offset += 1 + length;
      }
      return strings;
    }
  }
}
