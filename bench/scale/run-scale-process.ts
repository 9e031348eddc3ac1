import {
  describeError,
  type ScaleAnswer,
  type ScaleParentMessage,
  type ScaleRequest,
  sendToOrchestrator,
} from "./scale-messages.ts";

/** What a scale server or client process does with the orchestrator's messages. */
export interface ScaleProcessHandlers {
  /** On `start`: starts serving (or learns the server); resolves with its address, if any. */
  start(server: string | undefined): Promise<string | undefined>;
  /** Answers one request; a rejection is reported as `failed` for that request. */
  answer(request: ScaleRequest): Promise<ScaleAnswer>;
}

/**
 * Wires a scale process (bench/scale/scale-server.ts, scale-client.ts) to
 * the orchestrator's IPC channel: `start` once, then requests answered as
 * they come, each by id. The process leaves at once when the orchestrator
 * disconnects: nothing in it needs a graceful stop, and stopping thousands
 * of libp2p nodes one by one would take a while.
 */
export function runScaleProcess(handlers: ScaleProcessHandlers): void {
  process.on("disconnect", () => process.exit(0));
  process.on("message", (message: ScaleParentMessage) => {
    if (message.type === "start") {
      handlers
        .start(message.server)
        .then((address) => sendToOrchestrator({ type: "ready", address }))
        .catch((error: unknown) =>
          sendToOrchestrator({ type: "failed", id: undefined, message: describeError(error) }),
        );
      return;
    }
    const { id, request } = message;
    handlers
      .answer(request)
      .then((answer) => sendToOrchestrator({ type: "answer", id, answer }))
      .catch((error: unknown) =>
        sendToOrchestrator({ type: "failed", id, message: describeError(error) }),
      );
  });
}
