import type { CellConfig, Metrics } from "../ipc-messages.ts";
import { runFirstResponse } from "./first-response.ts";
import { runIdleMemory } from "./idle-memory.ts";
import { runOpenStreams } from "./open-streams.ts";
import { runPingPong } from "./ping-pong.ts";
import { runServerStream } from "./server-stream.ts";
import { runUnary } from "./unary.ts";
import { runUnaryDuringBulk } from "./unary-during-bulk.ts";
import type { WorkloadContext } from "./workload-context.ts";

/** Runs one cell's workload in the client process. */
export function runWorkload(context: WorkloadContext, cell: CellConfig): Promise<Metrics> {
  switch (cell.workload) {
    case "a":
      return runUnary(context, cell, 1);
    case "b":
      return runUnary(context, cell, 64);
    case "c":
      return runPingPong(context, cell);
    case "d":
      return runServerStream(context, cell, 32);
    case "e":
      return runServerStream(context, cell, 64 * 1024);
    case "f":
      return runFirstResponse(context, cell);
    case "g":
      return runIdleMemory(context, cell);
    case "h":
      return runOpenStreams(context, cell);
    case "i":
      return runServerStream(context, cell, 1024 * 1024);
    case "j":
      return runUnaryDuringBulk(context, cell);
  }
}
