import { createClient } from "@connectrpc/connect";
import { Command } from "commander";
import { Health } from "../../gen/health/v1/health_pb.ts";
import { ServingStatus } from "../services/health-service.ts";
import { EXIT_NOT_SERVING } from "./exit-codes.ts";
import { openPeer } from "./open-peer.ts";
import { type ActionScope, milliseconds, runAction } from "./run-action.ts";

interface HealthFlags {
  watch?: boolean;
  timeout?: number;
  key?: string;
}

const statusName = (status: number): string =>
  Object.entries(ServingStatus).find(([, value]) => value === status)?.[0] ?? String(status);

async function health(
  _scope: ActionScope,
  peer: string,
  service: string | undefined,
  flags: HealthFlags,
): Promise<number> {
  const open = await openPeer(peer, flags);
  try {
    const client = createClient(Health, open.transport);
    const request = { service: service ?? "" };
    if (flags.watch) {
      let last: number = ServingStatus.UNKNOWN;
      for await (const { status } of client.watch(request, { timeoutMs: flags.timeout ?? 0 })) {
        last = status;
        process.stdout.write(`${statusName(status)}\n`);
      }
      return last === ServingStatus.SERVING ? 0 : EXIT_NOT_SERVING;
    }
    const { status } = await client.check(request, { timeoutMs: flags.timeout ?? 10_000 });
    process.stdout.write(`${statusName(status)}\n`);
    return status === ServingStatus.SERVING ? 0 : EXIT_NOT_SERVING;
  } finally {
    await open.close();
  }
}

/** `p2prpc health PEER [SERVICE] [--watch]`. */
export function healthCommand(): Command {
  return new Command("health")
    .description(
      `check a peer's health (grpc.health.v1): prints the status; exits 0 when SERVING, ${EXIT_NOT_SERVING} otherwise`,
    )
    .argument("<peer>", "a multiaddr ending in /p2p/<peer id>, or a PeerId the node can reach")
    .argument("[service]", "the service to check (default: the whole server)")
    .option("-w, --watch", "print every change of status until interrupted")
    .option("--timeout <ms>", "deadline (default: 10000; none with --watch)", milliseconds)
    .option("--key <file>", "key file of the calling node (default: a new key)")
    .addHelpText(
      "after",
      `
Examples:
  p2prpc health /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…
  p2prpc health $PEER acme.greeter.v1.GreeterService --watch`,
    )
    .action(runAction(health));
}
