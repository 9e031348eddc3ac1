// A benchmark client process: started by bench/run.ts with an IPC channel,
// runs the cells it is sent against one system's server, one at a time.
import {
  type ParentMessage,
  type ServerRequest,
  type ServerSnapshot,
  sendToParent,
} from "../ipc-messages.ts";
import { loadSystem } from "../systems/load-system.ts";
import type { BenchClient, SystemClient } from "../systems/system-module.ts";
import { runWorkload } from "../workloads/run-workload.ts";
import type { WorkloadContext } from "../workloads/workload-context.ts";

let system: SystemClient | undefined;
let shared: Promise<BenchClient> | undefined;
let nextId = 1;
const pending = new Map<number, (snapshot: ServerSnapshot) => void>();

process.on("disconnect", () => process.exit(0));

function askServer(request: ServerRequest): Promise<ServerSnapshot> {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    sendToParent({ type: "request", id, request });
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause === undefined ? "" : ` (cause: ${describe(error.cause)})`;
    return `${error.name}: ${error.message}${cause}`;
  }
  return String(error);
}

process.on("message", (message: ParentMessage) => {
  switch (message.type) {
    case "load":
      // Load the system's modules while the server starts; "init" then
      // finds them loaded (a failure is reported there).
      loadSystem(message.system, "client").catch(() => {});
      break;
    case "init":
      loadSystem(message.system, "client")
        .then((loaded) => {
          if (message.server === undefined) {
            throw new Error("client started without a server address");
          }
          system = loaded.createClient({ server: message.server, tls: message.tls });
          sendToParent({ type: "ready", server: undefined });
        })
        .catch((error: unknown) => {
          sendToParent({ type: "failed", message: `client: ${describe(error)}` });
        });
      break;
    case "run": {
      const current = system;
      if (current === undefined) {
        sendToParent({ type: "failed", message: "client: run before init" });
        break;
      }
      const context: WorkloadContext = {
        system: current,
        shared: () => {
          shared ??= current.connect();
          return shared;
        },
        askServer,
      };
      runWorkload(context, message.cell)
        .then((metrics) => sendToParent({ type: "result", metrics }))
        .catch((error: unknown) => sendToParent({ type: "failed", message: describe(error) }));
      break;
    }
    case "reply": {
      const resolve = pending.get(message.id);
      pending.delete(message.id);
      resolve?.(message.reply);
      break;
    }
    default:
      break;
  }
});
