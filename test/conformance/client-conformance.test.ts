import { afterAll, beforeAll, describe, it } from "vitest";
import { CLIENT_CASES } from "../../conformance/client-cases.ts";
import { type ClientHarness, startClientHarness } from "../../conformance/client-harness.ts";
import { DEFAULT_CASE_TIMEOUT_MS } from "../../conformance/conformance-case.ts";
import { listenFor, TRANSPORTS } from "../helpers/start-pair.ts";

/** Every client row of the conformance suite: p2prpc's client against a scripted raw server. */
for (const kind of TRANSPORTS) {
  describe(`conformance of p2prpc's client over ${kind}`, () => {
    let harness: ClientHarness;
    beforeAll(async () => {
      harness = await startClientHarness(listenFor(kind), kind === "memory" ? listenFor(kind) : []);
    });
    afterAll(async () => {
      await harness.stop();
    });

    for (const row of CLIENT_CASES) {
      it(`${row.section} ${row.requirement} ${row.id}`, async () => {
        await row.run(harness.context(AbortSignal.timeout(DEFAULT_CASE_TIMEOUT_MS)));
      });
    }
  });
}
