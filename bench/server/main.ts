// A benchmark server process: started by bench/run.ts with an IPC channel,
// serves one system on 127.0.0.1 until the orchestrator disconnects.
import {
  type ParentMessage,
  type ServerSnapshot,
  sendToParent,
  takeSnapshot,
} from "../ipc-messages.ts";
import { loadSystem } from "../systems/load-system.ts";
import { ReleaseGate } from "./release-gate.ts";

const gate = new ReleaseGate();

// The orchestrator is gone (or done with us): leave at once. Nothing here
// needs a graceful stop, and stopping a node with 1,000 peers takes a while.
process.on("disconnect", () => process.exit(0));

process.on("message", (message: ParentMessage) => {
  switch (message.type) {
    case "init":
      loadSystem(message.system, "server")
        .then((system) =>
          system.startServer({ tls: message.tls, waitForRelease: () => gate.wait() }),
        )
        .then((server) => {
          sendToParent({ type: "ready", server });
        })
        .catch((error: unknown) => {
          sendToParent({ type: "failed", message: `server: ${String(error)}` });
        });
      break;
    case "request": {
      let reply: ServerSnapshot;
      if (message.request.kind === "release") {
        gate.release();
        reply = takeSnapshot(false);
      } else {
        reply = takeSnapshot(message.request.gc, message.request.reduceMemory);
      }
      sendToParent({ type: "reply", id: message.id, reply });
      break;
    }
    default:
      break;
  }
});
