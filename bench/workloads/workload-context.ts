import type { ServerRequest, ServerSnapshot } from "../ipc-messages.ts";
import type { BenchClient, SystemClient } from "../systems/system-module.ts";

/** What a workload gets in the client process. */
export interface WorkloadContext {
  readonly system: SystemClient;
  /** The client on one shared connection, connected on first use. */
  shared(): Promise<BenchClient>;
  /** Asks the server process (through the orchestrator) for a snapshot or a release. */
  askServer(request: ServerRequest): Promise<ServerSnapshot>;
}

/** The 32-byte payload of unary, ping-pong and first-response calls. */
export const SMALL_PAYLOAD: Uint8Array = new Uint8Array(32).fill(0x2a);

/** Upper bound on requests in one loop, whatever the duration. */
export const MAX_OPERATIONS = 50_000_000;
