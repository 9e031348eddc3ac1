import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Network namespaces for fault tests: a namespace joined to this process's
 * namespace by a veth pair, with packet loss (iptables' `statistic` match)
 * and partitions (the link set down) switched on and off by the test. Needs
 * root, `ip` (iproute2) and `iptables`; {@link netnsUnavailable} says why
 * not, so tests skip themselves instead of passing.
 */

/**
 * Why this machine cannot run namespace tests (not root, no `ip` or
 * `iptables`, `ip netns add` refused), or `undefined` when it can. Probed
 * once per process by making and deleting a namespace.
 */
export function netnsUnavailable(): string | undefined {
  if (probed === undefined) {
    probed = probe();
  }
  return probed === "" ? undefined : probed;
}
let probed: string | undefined;

function probe(): string {
  if (process.platform !== "linux" || process.getuid?.() !== 0) {
    return "not root on Linux";
  }
  for (const [tool, ...args] of [
    ["ip", "-V"],
    ["iptables", "--version"],
  ] as const) {
    if (spawnSync(tool, args).status !== 0) {
      return `${tool} is not installed`;
    }
  }
  const name = `p2prpc-probe-${process.pid}`;
  const added = spawnSync("ip", ["netns", "add", name]);
  if (added.status !== 0) {
    return `ip netns add failed: ${added.stderr.toString().trim()}`;
  }
  const filtered = spawnSync("ip", [
    "netns",
    "exec",
    name,
    "iptables",
    "-A",
    "INPUT",
    "-m",
    "statistic",
    "--mode",
    "random",
    "--probability",
    "0.5",
    "-j",
    "DROP",
  ]);
  spawnSync("ip", ["netns", "del", name]);
  if (filtered.status !== 0) {
    return `iptables in a namespace failed: ${filtered.stderr.toString().trim()}`;
  }
  return "";
}

/** A namespace and the veth pair that joins it to this process's namespace. */
export interface Netns {
  /** The namespace's name (`ip netns exec <name> …`). */
  readonly name: string;
  /** The address of its end of the link. */
  readonly address: string;
  /** The address of this process's end of the link. */
  readonly hostAddress: string;
  /** The command prefix that runs a program inside it. */
  readonly exec: readonly string[];
  /** Drops each packet in and out of the namespace with this probability (0 stops dropping). */
  setLoss(probability: number): Promise<void>;
  /** Packets the loss rules dropped so far, both ways. */
  droppedPackets(): Promise<number>;
  /** Takes the link down: nothing passes either way until {@link heal}. */
  partition(): Promise<void>;
  /** Brings the link back up. */
  heal(): Promise<void>;
  /** Deletes the namespace and both veth ends; safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Makes namespace `p2prpc-<tag>-<pid>` and a veth pair to it, with
 * addresses 10.<second>.<subnet>.1 (here) and .2 (there). `tag` (at most 4
 * characters) and `subnet` (1–254) must differ between test files that may
 * run at once; the pid tells apart runs of the same file.
 */
export async function createNetns(tag: string, subnet: number): Promise<Netns> {
  const name = `p2prpc-${tag}-${process.pid}`;
  // Interface names have at most 15 characters.
  const short = `${tag}${process.pid % 100_000}`;
  const hostEnd = `vh${short}`;
  const nsEnd = `vn${short}`;
  const second = 100 + (process.pid % 100);
  const hostAddress = `10.${second}.${subnet}.1`;
  const address = `10.${second}.${subnet}.2`;
  const inNs = (...args: string[]): Promise<{ stdout: string }> =>
    run("ip", ["netns", "exec", name, ...args]);
  let loss = 0;
  let removed = false;
  const lossRule = (probability: number, chain: string): string[] => [
    chain,
    "-m",
    "statistic",
    "--mode",
    "random",
    "--probability",
    String(probability),
    "-j",
    "DROP",
  ];
  const netns: Netns = {
    name,
    address,
    hostAddress,
    exec: ["ip", "netns", "exec", name],
    async setLoss(probability) {
      for (const chain of ["INPUT", "OUTPUT"]) {
        if (loss > 0) {
          await inNs("iptables", "-D", ...lossRule(loss, chain));
        }
        if (probability > 0) {
          await inNs("iptables", "-A", ...lossRule(probability, chain));
        }
      }
      loss = probability;
    },
    async droppedPackets() {
      const { stdout } = await inNs("iptables", "-L", "-v", "-n", "-x");
      let dropped = 0;
      for (const line of stdout.split("\n")) {
        const fields = line.trim().split(/\s+/);
        if (fields[2] === "DROP" && line.includes("statistic")) {
          dropped += Number(fields[0]);
        }
      }
      return dropped;
    },
    async partition() {
      await run("ip", ["link", "set", hostEnd, "down"]);
    },
    async heal() {
      await run("ip", ["link", "set", hostEnd, "up"]);
    },
    async remove() {
      if (!removed) {
        removed = true;
        // Deleting the namespace deletes its veth end, and with it ours.
        await run("ip", ["netns", "del", name]).catch(() => {});
        await run("ip", ["link", "del", hostEnd]).catch(() => {});
      }
    },
  };
  try {
    await run("ip", ["netns", "add", name]);
    await run("ip", ["link", "add", hostEnd, "type", "veth", "peer", "name", nsEnd]);
    await run("ip", ["link", "set", nsEnd, "netns", name]);
    await run("ip", ["addr", "add", `${hostAddress}/24`, "dev", hostEnd]);
    await run("ip", ["link", "set", hostEnd, "up"]);
    await inNs("ip", "addr", "add", `${address}/24`, "dev", nsEnd);
    await inNs("ip", "link", "set", nsEnd, "up");
    await inNs("ip", "link", "set", "lo", "up");
  } catch (error) {
    await netns.remove();
    throw error;
  }
  return netns;
}
