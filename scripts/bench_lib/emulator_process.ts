/**
 * `dnsbeat emulator` as a child process on 127.0.0.1, driven through its control API
 * (`/_emulator/requests`, `/fault`, `/echo-ip`, `/reset`).
 *
 * @module
 */
import type { EmulatorRequest, Fault } from "../../lib/emulator/mod.ts";
import { dnsbeatArgs } from "../dnsbeat.ts";
import type { Children } from "./process.ts";
import type { Hit } from "./types.ts";

/** A running emulator process. */
export interface EmulatorProcess {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Update and IP-check requests since the last reset, oldest first. */
  hits(): Promise<Hit[]>;
  /** Forgets requests, addresses, faults and blocks. */
  reset(): Promise<void>;
  /** Queues a fault. */
  fault(fault: Fault): Promise<void>;
  /** Sets the IPv4 address a loopback client is told it has. */
  echoIp(ipv4: string): Promise<void>;
  /** Ends the process. */
  close(): Promise<void>;
}

/** Starts `dnsbeat emulator --port PORT --accounts FILE --lenient-agent` (port 0: any). */
export async function startEmulatorProcess(
  children: Children,
  accountsFile: string,
  port: number,
  log: string,
): Promise<EmulatorProcess> {
  const args = dnsbeatArgs(["emulator", "--port", String(port), "--accounts", accountsFile]);
  const child = children.spawn({ argv: [Deno.execPath(), ...args, "--lenient-agent"], log });
  const url = await listening(log, child);
  const control = async (name: string, body?: unknown): Promise<Response> => {
    const response = await fetch(`${url}/_emulator/${name}`, {
      method: body === undefined ? "GET" : "POST",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw new Error(`emulator ${name}: HTTP ${response.status} ${await response.text()}`);
    }
    return response;
  };
  return {
    url,
    async hits() {
      const requests = await (await control("requests")).json() as EmulatorRequest[];
      return requests.flatMap((r): Hit[] =>
        r.provider === "noip" || r.provider === "ip"
          ? [{
            at: r.at,
            kind: r.provider === "noip" ? "update" : "ip",
            reply: r.reply.split("\n")[0] ?? "",
            status: r.status,
          }]
          : []
      );
    },
    reset: async () => void (await control("reset", {}).then((r) => r.body?.cancel())),
    fault: async (fault) => void (await control("fault", fault).then((r) => r.body?.cancel())),
    echoIp: async (ipv4) => void (await control("echo-ip", { ipv4 }).then((r) => r.body?.cancel())),
    close: async () => void (await children.stop(child)),
  };
}

/** Waits for the emulator's first log line and returns its URL. */
async function listening(log: string, child: Deno.ChildProcess): Promise<string> {
  let ended = false;
  child.status.then(() => ended = true);
  for (let i = 0; i < 200 && !ended; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = await Deno.readTextFile(log).catch(() => "");
    const match = /dnsbeat emulator on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
    if (match) return match[1]!;
  }
  throw new Error(`the emulator did not start; see ${log}`);
}
