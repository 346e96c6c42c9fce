/**
 * A quiet No-IP day: dnsbeat's DynDNS2 loop (`runDyndns2`) for a No-IP provider configured as a
 * user would (the config parser's defaults: a check every 5 minutes), driven by the injected
 * clock; the first round updates the host, then the address stays the same for a day. Every
 * update is answered by the in-process emulator through dnsbeat's own HTTP code. Counts the
 * checks, the updates and the state writes (the in-memory store counts its writes) after the
 * first update.
 *
 * @module
 */
import { parseConfig } from "../../lib/config/mod.ts";
import { HOUR } from "../../lib/config/duration.ts";
import { dyndns2Round, runDyndns2 } from "../../lib/providers/dyndns2/round.ts";
import { parseAccounts } from "../../lib/emulator/accounts.ts";
import { createEmulator } from "../../lib/emulator/mod.ts";
import { httpRequest } from "../../lib/net/http.ts";
import { testContext } from "../../tests/helpers/context.ts";
import { FakeClock } from "../../tests/helpers/fake_clock.ts";
import { ACCOUNT, ACCOUNTS_JSON } from "./clients.ts";
import type { QuietDayFigures } from "./types.ts";

const SERVER = "http://noip.invalid";

/** Runs the loop for `hours` of virtual time after the first update. */
export async function simulateQuietDay(hours: number): Promise<QuietDayFigures> {
  const clock = new FakeClock(Date.UTC(2026, 0, 5, 0, 0, 0));
  const accounts = parseAccounts(JSON.parse(ACCOUNTS_JSON));
  if ("error" in accounts) throw new Error(`accounts: ${accounts.error}`);
  const emulator = createEmulator({ clock, accounts });
  const parsed = await parseConfig(
    {
      state: "/nonexistent/state.json",
      ipSources: [`${SERVER}/ip`],
      providers: [{
        type: "noip",
        name: "quiet",
        username: ACCOUNT.username,
        password: ACCOUNT.password,
        hostnames: [ACCOUNT.host],
        server: SERVER,
      }],
    },
    "/nonexistent/config.json",
    { readSecretFile: () => ({ error: "none" }), env: () => undefined },
  );
  if (!parsed.ok) throw new Error(`config: ${parsed.errors.join("; ")}`);
  const provider = parsed.config.providers[0];
  if (provider?.kind !== "dyndns2") throw new Error("config: no DynDNS2 provider");

  const { ctx } = testContext({
    clock,
    httpGet: (request) =>
      httpRequest(request, (input, init) => {
        const req = input instanceof Request ? input : new Request(input, init);
        return emulator.handle(req, "127.0.0.1");
      }, clock),
  });
  let checks = 0;
  const detect = ctx.detect;
  ctx.detect = (family, signal) => {
    checks++;
    return detect(family, signal);
  };
  const updates = () => emulator.requests.filter((r) => r.provider === "noip").length;

  const never = new AbortController().signal;
  const first = await dyndns2Round(ctx, provider, never);
  if (first.kind !== "ok" || updates() !== 1) {
    throw new Error(`the first round did not update the host: ${first.kind}`);
  }
  const [checksBefore, updatesBefore, writesBefore] = [checks, updates(), ctx.store.writes];
  const controller = new AbortController();
  const end = clock.sleep(hours * HOUR).then(() => controller.abort());
  const ended = await runDyndns2(ctx, provider, {
    stop: controller.signal,
    abort: controller.signal,
  });
  await end;
  if (ended.kind !== "aborted") throw new Error(`the loop ended early: ${ended.kind}`);
  return {
    hours,
    intervalMs: provider.intervalMs,
    checks: checks - checksBefore,
    updates: updates() - updatesBefore,
    writes: ctx.store.writes - writesBefore,
  };
}
