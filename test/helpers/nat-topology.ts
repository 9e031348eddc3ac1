// Network namespaces for the NAT tests (test/netns-nat/): one public network
// with a relay, and two private networks, each behind its own NAT router
// (iptables MASQUERADE), one holding a client, the other a server.
//
//   client (10.71.1.2) ── natA (10.71.1.1 | 10.71.0.2) ──┐
//                                                     public 10.71.0.0/24, relay 10.71.0.1
//   server (10.71.2.2) ── natB (10.71.2.1 | 10.71.0.3) ──┘
//
// Every address is inside namespaces the test made; none is routed to the host.
import { execFileSync, spawnSync } from "node:child_process";
import { type Fixture, spawnFixture } from "./spawn-fixture.ts";

/** The namespaces of one topology, named after a prefix unique to its test file. */
export interface NatTopology {
  readonly relay: string;
  readonly natA: string;
  readonly natB: string;
  readonly client: string;
  readonly server: string;
  /** The relay's address on the public network. */
  readonly relayIp: string;
  /** Runs `test/fixtures/<script>` inside namespace `ns`. */
  spawn(ns: string, script: string, args: string[]): Fixture;
  /** Removes every namespace (and so every link) of the topology; safe to call twice. */
  remove(): void;
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function inNs(ns: string, command: string, ...args: string[]): void {
  execFileSync("ip", ["netns", "exec", ns, command, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
}

/**
 * Why namespaces cannot be used here, or undefined when they can: needs root
 * (or CAP_NET_ADMIN), `ip` and `iptables`. Probes by making and removing a namespace.
 */
export function natUnavailable(): string | undefined {
  if (process.platform !== "linux") {
    return "network namespaces need Linux";
  }
  for (const tool of ["ip", "iptables"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) {
      return `${tool} is not installed`;
    }
  }
  const probe = `p2prpc-probe-${process.pid}`;
  const made = spawnSync("ip", ["netns", "add", probe]);
  if (made.status !== 0) {
    return `ip netns add failed: ${made.stderr.toString().trim()}`;
  }
  const nat = spawnSync("ip", ["netns", "exec", probe, "iptables", "-t", "nat", "-L", "-n"]);
  spawnSync("ip", ["netns", "del", probe]);
  if (nat.status !== 0) {
    return `iptables refused: ${nat.stderr.toString().trim()}`;
  }
  return undefined;
}

/** A veth pair from `a`'s `aName` to `b`'s `bName`. */
function link(a: string, aName: string, b: string, bName: string): void {
  ip("-n", a, "link", "add", aName, "type", "veth", "peer", "name", bName, "netns", b);
  ip("-n", a, "link", "set", aName, "up");
  ip("-n", b, "link", "set", bName, "up");
}

/**
 * Makes a NAT router as a home router is: forwards between `lan` and `wan`,
 * masquerades to `wan`, and silently drops every new connection from `wan`,
 * to the LAN or to itself (no RST for unsolicited packets).
 */
function natRouter(ns: string): void {
  inNs(ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
  inNs(ns, "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "MASQUERADE");
  inNs(
    ns,
    "iptables",
    "-A",
    "INPUT",
    "-i",
    "wan",
    "-m",
    "conntrack",
    "--ctstate",
    "ESTABLISHED,RELATED",
    "-j",
    "ACCEPT",
  );
  inNs(ns, "iptables", "-A", "INPUT", "-i", "wan", "-j", "DROP");
  inNs(
    ns,
    "iptables",
    "-A",
    "FORWARD",
    "-i",
    "wan",
    "-m",
    "conntrack",
    "--ctstate",
    "ESTABLISHED,RELATED",
    "-j",
    "ACCEPT",
  );
  inNs(ns, "iptables", "-A", "FORWARD", "-i", "wan", "-j", "DROP");
}

/** Builds the topology; on any failure it removes what it made and throws. */
export function buildNatTopology(prefix: string): NatTopology {
  const names = {
    relay: `${prefix}-pub`,
    natA: `${prefix}-nata`,
    natB: `${prefix}-natb`,
    client: `${prefix}-cli`,
    server: `${prefix}-srv`,
  };
  const all = Object.values(names);
  const remove = (): void => {
    for (const ns of all) {
      spawnSync("ip", ["netns", "del", ns]);
    }
  };
  remove();
  try {
    for (const ns of all) {
      ip("netns", "add", ns);
      ip("-n", ns, "link", "set", "lo", "up");
    }
    // The public network: a bridge in the relay's namespace.
    ip("-n", names.relay, "link", "add", "br0", "type", "bridge");
    ip("-n", names.relay, "addr", "add", "10.71.0.1/24", "dev", "br0");
    ip("-n", names.relay, "link", "set", "br0", "up");
    for (const [router, index, lanNs, lanNet] of [
      [names.natA, 2, names.client, 1],
      [names.natB, 3, names.server, 2],
    ] as const) {
      link(names.relay, `p${index}`, router, "wan");
      ip("-n", names.relay, "link", "set", `p${index}`, "master", "br0");
      ip("-n", router, "addr", "add", `10.71.0.${index}/24`, "dev", "wan");
      link(router, "lan", lanNs, "eth0");
      ip("-n", router, "addr", "add", `10.71.${lanNet}.1/24`, "dev", "lan");
      ip("-n", lanNs, "addr", "add", `10.71.${lanNet}.2/24`, "dev", "eth0");
      ip("-n", lanNs, "route", "add", "default", "via", `10.71.${lanNet}.1`);
      natRouter(router);
    }
  } catch (error) {
    remove();
    throw error;
  }
  return {
    ...names,
    relayIp: "10.71.0.1",
    spawn: (ns, script, args) => spawnFixture(script, args, ["ip", "netns", "exec", ns]),
    remove,
  };
}
