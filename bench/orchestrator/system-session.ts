import { fileURLToPath } from "node:url";
import type {
  CellConfig,
  ChildMessage,
  Metrics,
  ServerInfo,
  TlsMaterial,
} from "../ipc-messages.ts";
import type { SystemId } from "../system-catalog.ts";
import { ChildChannel } from "./child-channel.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SERVER_ENTRY = "bench/server/main.ts";
const CLIENT_ENTRY = "bench/client/main.ts";
const START_TIMEOUT_MS = 30_000;

export type CellOutcome = { readonly metrics: Metrics } | { readonly error: string };

/**
 * One system's server and client processes. A cell that fails or times out
 * ends the session (both processes are killed); the caller starts a new one
 * for the next cell.
 */
export class SystemSession {
  readonly #server: ChildChannel;
  readonly #client: ChildChannel;
  #alive = true;

  private constructor(server: ChildChannel, client: ChildChannel) {
    this.#server = server;
    this.#client = client;
    // Relay the client's questions to the server and the answers back.
    client.onMessage((message) => {
      if (message.type === "request") {
        server.send(message);
      }
    });
    server.onMessage((message) => {
      if (message.type === "reply") {
        client.send(message);
      }
    });
  }

  get alive(): boolean {
    return this.#alive;
  }

  static async start(system: SystemId, tls: TlsMaterial | undefined): Promise<SystemSession> {
    const server = spawnServer(system, tls);
    const client = new ChildChannel(CLIENT_ENTRY, `${system} client`, ROOT);
    const session = new SystemSession(server, client);
    try {
      // The client loads the system's modules while the server starts.
      client.send({ type: "load", system });
      const info = await serverReady(server);
      client.send({ type: "init", system, tls, server: info });
      await client.waitFor(readyOrFailed<true>, START_TIMEOUT_MS, "ready");
      return session;
    } catch (error) {
      await session.stop();
      throw error;
    }
  }

  /** Runs one cell; never throws, never waits longer than `timeoutMs`. */
  async run(cell: CellConfig, timeoutMs: number): Promise<CellOutcome> {
    if (!this.#alive) {
      return { error: "session already ended" };
    }
    this.#client.send({ type: "run", cell });
    try {
      const outcome = await this.#client.waitFor<CellOutcome>(
        (message) => {
          if (message.type === "result") {
            return { metrics: message.metrics };
          }
          if (message.type === "failed") {
            return { error: message.message };
          }
          return undefined;
        },
        timeoutMs,
        `result of workload ${cell.workload}`,
      );
      if ("error" in outcome) {
        // The client may be in any state after a failure: start afresh.
        await this.stop();
      }
      return outcome;
    } catch (error) {
      this.#client.kill();
      this.#server.kill();
      await this.stop();
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }

  async stop(): Promise<void> {
    this.#alive = false;
    await Promise.all([this.#client.stop(), this.#server.stop()]);
  }
}

/**
 * Starts the harness's server process for `system` on its own, for a tool
 * that runs the client in its own process (`bench:cpu --server-process`);
 * resolves once it serves. Stop it with the channel's `stop()`.
 */
export async function startServerProcess(
  system: SystemId,
): Promise<{ readonly channel: ChildChannel; readonly info: ServerInfo }> {
  const channel = spawnServer(system, undefined);
  try {
    return { channel, info: await serverReady(channel) };
  } catch (error) {
    await channel.stop();
    throw error;
  }
}

/** Starts a server process for `system` and asks it to serve. */
function spawnServer(system: SystemId, tls: TlsMaterial | undefined): ChildChannel {
  const server = new ChildChannel(SERVER_ENTRY, `${system} server`, ROOT);
  server.send({ type: "init", system, tls, server: undefined });
  return server;
}

/** The server's info once it serves; rejects when it fails or takes too long. */
function serverReady(server: ChildChannel): Promise<ServerInfo> {
  return server.waitFor(readyOrFailed<ServerInfo>, START_TIMEOUT_MS, "ready");
}

/** Picks a `ready` message (its server info, or true); throws on `failed`. */
function readyOrFailed<T>(message: ChildMessage): T | undefined {
  if (message.type === "ready") {
    return (message.server ?? true) as T;
  }
  if (message.type === "failed") {
    throw new Error(message.message);
  }
  return undefined;
}
