import assert from "node:assert/strict";
import type { StreamMuxerFactory, Transport, Upgrader } from "@libp2p/interface";
import { describe, it } from "vitest";
import { onTransportMuxers } from "../../src/node/on-transport-muxers.ts";
import { captureWrapperLog } from "../helpers/capture-wrapper-log.ts";

/** A transport whose dial upgrades through the upgrader it is given, with `options`. */
function upgradingTransport(options: object): () => Transport {
  return () =>
    ({
      dial: async (_address: unknown, dialOptions: { upgrader: Upgrader }) =>
        dialOptions.upgrader.upgradeOutbound({} as never, options as never),
      createListener: () => ({}),
    }) as unknown as Transport;
}

/** An upgrader that records the options it was called with. */
function recordingUpgrader(seen: unknown[]): Upgrader {
  return {
    upgradeOutbound: async (_connection: unknown, options: unknown) => {
      seen.push(options);
      return {};
    },
  } as unknown as Upgrader;
}

describe("onTransportMuxers", () => {
  it("wraps the muxer factory the transport hands to the upgrader", async () => {
    const log = captureWrapperLog();
    const own = { protocol: "/own" } as StreamMuxerFactory;
    const wrapped = { protocol: "/wrapped" } as StreamMuxerFactory;
    const transport = onTransportMuxers(
      upgradingTransport({ muxerFactory: own }),
      "someWrapper",
      () => (factory) => (factory === own ? wrapped : factory),
    )({ logger: log.logger });
    const seen: unknown[] = [];
    await transport.dial({} as never, { upgrader: recordingUpgrader(seen) } as never);
    assert.deepEqual(seen, [{ muxerFactory: wrapped }]);
    assert.deepEqual(log.lines, []);
  });

  it("upgrades a connection without a muxer factory as it is, and logs that once", async () => {
    const log = captureWrapperLog();
    const transport = onTransportMuxers(
      upgradingTransport({ other: 1 }),
      "someWrapper",
      () => () => {
        throw new Error("never asked to wrap");
      },
    )({ logger: log.logger });
    const seen: unknown[] = [];
    const upgrader = recordingUpgrader(seen);
    await transport.dial({} as never, { upgrader } as never);
    await transport.dial({} as never, { upgrader } as never);
    assert.deepEqual(seen, [{ other: 1 }, { other: 1 }]);
    assert.equal(log.linesOf("someWrapper").length, 1);
  });
});
