import { join } from "node:path";
import type { ServerStats } from "../fixtures/hostile-server.ts";
import { type Fixture, spawnFixture } from "./spawn-fixture.ts";
import { waitFor } from "./wait-for.ts";

export type { ServerStats };

/** A `test/fixtures/hostile-server.ts` process. */
export interface HostileServer {
  readonly fixture: Fixture;
  /** Its first address, with /p2p/. */
  readonly address: string;
  /** Its counts and memory now (after a full garbage collection). */
  stats(): Promise<ServerStats>;
  kill(): Promise<void>;
}

/** Options of the server process (see the fixture). */
export interface HostileServerOptions {
  readonly listen?: string;
  readonly keyDir?: string;
  readonly headerTimeoutMs?: number;
  readonly maxStreamsPerPeer?: number;
  readonly maxInboundStreams?: number;
  readonly maxConnections?: number;
}

/** Starts the server process; kill it in afterAll. */
export async function startHostileServer(
  options: HostileServerOptions = {},
): Promise<HostileServer> {
  const args: string[] = [];
  const flag = (name: string, value: number | undefined): void => {
    if (value !== undefined) {
      args.push(`--${name}`, String(value));
    }
  };
  flag("header-timeout-ms", options.headerTimeoutMs);
  flag("max-streams-per-peer", options.maxStreamsPerPeer);
  flag("max-inbound-streams", options.maxInboundStreams);
  flag("max-connections", options.maxConnections);
  if (options.keyDir !== undefined) {
    args.push("--key", join(options.keyDir, "server.key"));
  }
  args.push(options.listen ?? "/ip4/127.0.0.1/tcp/0");
  const fixture = spawnFixture("hostile-server.ts", args);
  try {
    const line = await fixture.line(/^LISTEN /);
    await fixture.line(/^READY$/);
    return {
      fixture,
      address: line.slice("LISTEN ".length),
      async stats() {
        const from = fixture.lines.length;
        fixture.send("stats");
        let found: string | undefined;
        await waitFor(
          () => {
            found = fixture.lines.slice(from).find((entry) => entry.startsWith("STATS "));
            return found !== undefined;
          },
          "the server's STATS line",
          15_000,
        );
        return JSON.parse((found as string).slice("STATS ".length)) as ServerStats;
      },
      kill: () => fixture.kill(),
    };
  } catch (error) {
    await fixture.kill();
    throw error;
  }
}

/** Sum of the server's open inbound p2prpc streams over every method. */
export function totalStreams(stats: ServerStats): number {
  return Object.values(stats.inboundStreams).reduce((sum, count) => sum + count, 0);
}
