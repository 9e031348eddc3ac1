import assert from "node:assert/strict";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, it } from "vitest";
import { buildNatTopology, type NatTopology, natUnavailable } from "../helpers/nat-topology.ts";
import type { Fixture } from "../helpers/spawn-fixture.ts";

/** The PeerId at the end of the first of `addresses`. */
function serverIdOf(addresses: string[]): string {
  return addresses[0]?.split("/p2p/").at(-1) ?? "";
}

/** Why this machine cannot run the test (no root, no `ip` or `iptables`), or undefined. */
const UNAVAILABLE = natUnavailable();

interface Event {
  readonly event: string;
  readonly phase?: string;
  readonly ok?: boolean;
  readonly code?: number;
  readonly path?: { readonly remoteAddr: string; readonly limited: boolean };
  readonly connections?: Array<{ readonly remoteAddr: string; readonly limited: boolean }>;
  readonly direct?: string | null;
  readonly gaveUp?: string;
  readonly args?: string[];
  readonly message?: string;
}

/**
 * A client behind one NAT calls a server behind another, through a circuit
 * relay v2 on the public network (see test/helpers/nat-topology.ts). Every
 * process runs in its own namespace; the client reports each call's outcome
 * and the connection it ran on, as the server saw it.
 */
describe.skipIf(UNAVAILABLE !== undefined)("through NAT: circuit relay v2 and DCUtR", () => {
  let topology: NatTopology | undefined;
  const fixtures: Fixture[] = [];
  let events: Event[] = [];

  beforeAll(async () => {
    topology = buildNatTopology(`p2prpc-nat-${process.pid}`);
    const relay = topology.spawn(topology.relay, "nat-node.ts", ["relay", topology.relayIp]);
    fixtures.push(relay);
    const relayAddress = (JSON.parse(await relay.line(/"event":"relay"/)) as { address: string })
      .address;
    const server = topology.spawn(topology.server, "nat-node.ts", ["server", relayAddress]);
    fixtures.push(server);
    // The server announces its /p2p-circuit address once its reservation on the relay holds.
    const serverAddress = (JSON.parse(await server.line(/"event":"server"/)) as { address: string })
      .address;
    const client = topology.spawn(topology.client, "nat-node.ts", ["client", serverAddress]);
    fixtures.push(client);
    await client.line(/"event":"(done|error)"/);
    events = client.lines
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Event);
    assert.equal(
      events.find((e) => e.event === "error"),
      undefined,
      client.lines.join("\n"),
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(fixtures.map((fixture) => fixture.kill()));
    topology?.remove();
  });

  const find = (event: string, phase?: string): Event => {
    const found = events.find(
      (e) => e.event === event && (phase === undefined || e.phase === phase),
    );
    assert.ok(found !== undefined, `no ${event} ${phase ?? ""} event in ${JSON.stringify(events)}`);
    return found;
  };

  it("the server's private address is unreachable: the first connection goes through the relay, limited", () => {
    const { connections = [] } = find("connections", "relayed");
    assert.ok(connections.length > 0);
    for (const connection of connections) {
      assert.match(connection.remoteAddr, /\/p2p-circuit/);
      assert.equal(connection.limited, true);
    }
  });

  it("a unary call (allowed on limited connections by default) runs over the relay", () => {
    const unary = find("unary", "relayed");
    assert.equal(unary.ok, true, JSON.stringify(unary));
    assert.match(unary.path?.remoteAddr ?? "", /\/p2p-circuit/);
    assert.equal(unary.path?.limited, true);
  });

  it("a streaming call (not allowed there by default) fails with FailedPrecondition", () => {
    const stream = find("serverStream", "relayed");
    assert.equal(stream.ok, false);
    assert.equal(stream.code, Code.FailedPrecondition);
  });

  it("DCUtR runs, but the server offers no NAT-mapped address to punch to: calls stay on the relay", () => {
    // What happens on this topology (libp2p 3.3, dcutr 3.0): DCUtR exchanges
    // the peers' addresses over the relay. The server (B) offers only its own
    // listen addresses and its circuit address, not the address its NAT maps
    // it to (10.71.0.3:<port>, seen by the relay through identify): libp2p
    // announces an observed address only once AutoNAT confirmed it, and a
    // NAT that drops unsolicited inbound connections fails that dial-back.
    // The client (A) finds no public address among them and gives up.
    const outcome = find("dcutr");
    assert.equal(outcome.direct, null);
    assert.match(outcome.gaveUp ?? "", /no dialable multiaddrs/);
    const offered = events.find(
      (e) => e.event === "dcutr-log" && /no dialable/.test(e.message ?? ""),
    );
    const addresses = (offered?.args?.[0] ?? "").split(",");
    assert.ok(
      addresses.includes(`/ip4/10.71.2.2/tcp/4002/p2p/${serverIdOf(addresses)}`),
      addresses.join(" "),
    );
    assert.equal(
      addresses.some(
        (address) => address.startsWith("/ip4/10.71.0.") && !address.includes("/p2p-circuit"),
      ),
      false,
      `a NAT-mapped address was offered: ${addresses.join(" ")}`,
    );
    assert.equal(
      events.some((e) => e.phase === "direct"),
      false,
    );
  });

  // Would the NATs allow a hole punch at all? A raw TCP simultaneous open,
  // without libp2p, between the two mapped endpoints (MASQUERADE keeps a free
  // source port, so a fixed local port maps to the same port on the NAT).
  it("an unsolicited connection to the server's NAT is dropped: the NAT is a real one", async () => {
    const t = topology as NatTopology;
    const alone = t.spawn(t.client, "tcp-punch.ts", ["5101", "10.71.0.3", "5102", "2500"]);
    fixtures.push(alone);
    const outcome = JSON.parse(await alone.line(/"event":"(punched|gave-up)"/)) as Event & {
      errors?: Record<string, number>;
    };
    assert.equal(outcome.event, "gave-up");
    // Dropped silently (as a home router does), not refused.
    assert.deepEqual(Object.keys(outcome.errors ?? {}), ["timeout"]);
  });

  it("a raw TCP simultaneous open through both NATs succeeds: a hole punch is possible here", async () => {
    const t = topology as NatTopology;
    const a = t.spawn(t.client, "tcp-punch.ts", ["5001", "10.71.0.3", "5002", "15000"]);
    const b = t.spawn(t.server, "tcp-punch.ts", ["5002", "10.71.0.2", "5001", "15000"]);
    fixtures.push(a, b);
    const [fromA, fromB] = await Promise.all(
      [a, b].map(
        async (side) =>
          JSON.parse(await side.line(/"event":"(punched|gave-up)"/)) as Event & {
            heard?: string;
            remote?: string;
          },
      ),
    );
    // Each side reached the other's NAT-mapped endpoint, and heard the other's port.
    assert.equal(fromA?.event, "punched", JSON.stringify(fromA));
    assert.equal(fromA?.remote, "10.71.0.3:5002");
    assert.equal(fromA?.heard, "5002");
    assert.equal(fromB?.event, "punched", JSON.stringify(fromB));
    assert.equal(fromB?.remote, "10.71.0.2:5001");
    assert.equal(fromB?.heard, "5001");
  });
});
