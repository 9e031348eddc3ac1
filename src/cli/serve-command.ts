import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ConnectRouter } from "@connectrpc/connect";
import { Command } from "commander";
import { createRpcNode, DEFAULT_LISTEN_ADDRESSES } from "../node/create-rpc-node.ts";
import { rpcServer } from "../server/rpc-server.ts";
import { createHealthService, ServingStatus } from "../services/health-service.ts";
import { createReflectionService } from "../services/reflection-service.ts";
import { defaultKeyFile } from "./default-key-file.ts";
import { UsageError } from "./exit-codes.ts";
import { formatError } from "./format-error.ts";
import { collect } from "./run-action.ts";

interface ServeFlags {
  key?: string;
  listen: string[];
  reflection: boolean;
  health: boolean;
}

async function serve(modulePath: string, flags: ServeFlags): Promise<void> {
  const loaded = (await import(pathToFileURL(resolve(modulePath)).href)) as { routes?: unknown };
  if (typeof loaded.routes !== "function") {
    throw new UsageError(`${modulePath} does not export a routes(router) function`);
  }
  const routes = loaded.routes as (router: ConnectRouter) => void;
  const health = createHealthService();
  const reflection = createReflectionService();
  const node = await createRpcNode({
    listen: flags.listen.length > 0 ? flags.listen : [...DEFAULT_LISTEN_ADDRESSES],
    privateKeyFile: flags.key ?? defaultKeyFile(),
    services: {
      rpc: rpcServer({
        routes: (router) => {
          routes(router);
          if (flags.health) {
            health.routes(router);
          }
          if (flags.reflection) {
            reflection.routes(router);
          }
          for (const handler of router.handlers) {
            health.setStatus(handler.service.typeName, ServingStatus.SERVING);
          }
        },
      }),
    },
  });
  process.stdout.write(`PEER ${node.peerId}\n`);
  for (const address of node.getMultiaddrs()) {
    process.stdout.write(`LISTEN ${address}\n`);
  }
  process.stdout.write("READY\n");
  const stop = (): void => {
    health.setStatus("", ServingStatus.NOT_SERVING);
    Promise.resolve(node.stop()).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${formatError(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

/** `p2prpc serve MODULE`. */
export function serveCommand(): Command {
  return new Command("serve")
    .description(
      "serve the routes(router) function a module exports on a node, with health and reflection; prints PEER, LISTEN lines, then READY",
    )
    .argument("<module>", "a .js or .ts file exporting routes(router), as a Connect server takes")
    .option("--key <file>", "the node's key file (default: $P2PRPC_KEY_FILE, else ~/.p2prpc/key)")
    .option(
      "-l, --listen <multiaddr>",
      "an address to listen on (repeatable; default: loopback TCP and QUIC)",
      collect,
      [],
    )
    .option("--no-reflection", "do not serve grpc.reflection")
    .option("--no-health", "do not serve grpc.health.v1.Health")
    .addHelpText(
      "after",
      `
Example:
  p2prpc serve ./greeter-routes.js --key server.key --listen /ip4/0.0.0.0/tcp/4001`,
    )
    .action(async (modulePath: string, flags: ServeFlags) => {
      try {
        await serve(modulePath, flags);
      } catch (error) {
        process.stderr.write(`${formatError(error)}\n`);
        process.exitCode = error instanceof UsageError ? 64 : 1;
      }
    });
}
