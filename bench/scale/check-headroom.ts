import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { freemem } from "node:os";
import type { IdleSample } from "./step-record.ts";

/** Share of a limit a step may be predicted to use before the run stops short of it. */
const HEADROOM = 0.9;

/**
 * The hard open-file limit (`ulimit -Hn`) the child processes can be given
 * as their soft limit (see ChildChannel's `maxOpenFiles`); undefined where
 * there is no shell to ask or it is unlimited.
 */
export function hardOpenFileLimit(): number | undefined {
  try {
    const text = execFileSync("/bin/sh", ["-c", "ulimit -Hn"], { encoding: "utf8" }).trim();
    const limit = Number(text);
    return Number.isInteger(limit) && limit > 0 ? limit : undefined;
  } catch {
    return undefined;
  }
}

/** Local ports the kernel hands out to outgoing connections; undefined without /proc. */
function ephemeralPorts(): number | undefined {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    return low !== undefined && high !== undefined && high >= low ? high - low + 1 : undefined;
  } catch {
    return undefined;
  }
}

/** What the run knows when it decides whether to try the next count. */
export interface HeadroomInput {
  /** The count to try, and the count held now (with its sample; the baseline when 0). */
  readonly next: number;
  readonly held: number;
  readonly baseline: IdleSample;
  readonly current: IdleSample;
  readonly clients: number;
  readonly maxOpenFiles: number | undefined;
}

/**
 * Why the next count cannot be held, predicted from the costs measured so
 * far (per peer, extrapolated linearly), or undefined when nothing stands in
 * the way: open files per process against the limit, local ports for the
 * client connections, and memory against what the machine has free.
 */
export function checkHeadroom(input: HeadroomInput): string | undefined {
  const { next, held, baseline, current, clients, maxOpenFiles } = input;
  const ports = ephemeralPorts();
  if (ports !== undefined && next > HEADROOM * ports) {
    return `local ports: ${next} client connections from 127.0.0.1 need as many of the ${ports} ephemeral ports`;
  }
  if (held === 0) {
    return undefined;
  }
  const added = next - held;
  const perPeer = (now: number | undefined, before: number | undefined): number | undefined =>
    now === undefined || before === undefined ? undefined : Math.max(0, now - before) / held;
  const serverFiles = perPeer(current.server.memory.openFiles, baseline.server.memory.openFiles);
  const clientFiles = perPeer(current.clients.memory.openFiles, baseline.clients.memory.openFiles);
  if (maxOpenFiles !== undefined && serverFiles !== undefined && clientFiles !== undefined) {
    const server = (current.server.memory.openFiles ?? 0) + serverFiles * added;
    const perClient = ((current.clients.memory.openFiles ?? 0) + clientFiles * added) / clients;
    const worst = Math.max(server, perClient);
    if (worst > HEADROOM * maxOpenFiles) {
      return (
        `open files: ${next} peers would need about ${Math.round(server)} in the server and ` +
        `${Math.round(perClient)} per client process (${serverFiles.toFixed(2)} and ${clientFiles.toFixed(2)} per peer), ` +
        `against a limit of ${maxOpenFiles}`
      );
    }
  }
  const bytes =
    (Math.max(0, current.server.memory.rss - baseline.server.memory.rss) +
      Math.max(0, current.clients.memory.rss - baseline.clients.memory.rss)) /
    held;
  const needed = bytes * added;
  const free = freemem();
  if (needed > HEADROOM * free) {
    return `memory: ${added} more peers would need about ${(needed / 2 ** 30).toFixed(1)} GiB (${(bytes / 1024).toFixed(0)} KiB per peer on both sides), ${(free / 2 ** 30).toFixed(1)} GiB free`;
  }
  return undefined;
}
