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
 * for the next cell. `freshClient` replaces the client process alone, for
 * cold cells against a server that has already served.
 */
export class SystemSession {
  readonly #system: SystemId;
  readonly #tls: TlsMaterial | undefined;
  readonly #server: ChildChannel;
  readonly #info: ServerInfo;
  #client: ChildChannel;
  #alive = true;

  private constructor(
    system: SystemId,
    tls: TlsMaterial | undefined,
    server: ChildChannel,
    info: ServerInfo,
    client: ChildChannel,
  ) {
    this.#system = system;
    this.#tls = tls;
    this.#server = server;
    this.#info = info;
    this.#client = client;
    this.#relay(client);
    // Answers go to whichever client process is the session's now.
    server.onMessage((message) => {
      if (message.type === "reply") {
        this.#client.send(message);
      }
    });
  }

  /** Relays `client`'s questions to the server. */
  #relay(client: ChildChannel): void {
    client.onMessage((message) => {
      if (message.type === "request") {
        this.#server.send(message);
      }
    });
  }

  get alive(): boolean {
    return this.#alive;
  }

  static async start(system: SystemId, tls: TlsMaterial | undefined): Promise<SystemSession> {
    const server = spawnServer(system, tls);
    const client = new ChildChannel(CLIENT_ENTRY, `${system} client`, ROOT);
    let info: ServerInfo;
    try {
      // The client loads the system's modules while the server starts.
      client.send({ type: "load", system });
      info = await serverReady(server);
    } catch (error) {
      await Promise.all([client.stop(), server.stop()]);
      throw error;
    }
    const session = new SystemSession(system, tls, server, info, client);
    try {
      await clientReady(client, system, tls, info);
      return session;
    } catch (error) {
      await session.stop();
      throw error;
    }
  }

  /**
   * Stops the client process and starts a new one against the same server:
   * the next cell runs in a process that has run nothing (cold). On failure
   * the session has ended.
   */
  async freshClient(): Promise<void> {
    if (!this.#alive) {
      throw new Error("session already ended");
    }
    await this.#client.stop();
    const client = new ChildChannel(CLIENT_ENTRY, `${this.#system} client`, ROOT);
    this.#client = client;
    this.#relay(client);
    try {
      await clientReady(client, this.#system, this.#tls, this.#info);
    } catch (error) {
      await this.stop();
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

/** Has `client` load `system` and connect its client to `info`; resolves once it is ready. */
async function clientReady(
  client: ChildChannel,
  system: SystemId,
  tls: TlsMaterial | undefined,
  info: ServerInfo,
): Promise<void> {
  client.send({ type: "init", system, tls, server: info });
  await client.waitFor(readyOrFailed<true>, START_TIMEOUT_MS, "ready");
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
