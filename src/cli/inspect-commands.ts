import { Code, ConnectError } from "@connectrpc/connect";
import { Command } from "commander";
import { fetchDescriptors, listServices } from "../services/fetch-descriptors.ts";
import { describeEnum, describeMessage, describeMethod, describeService } from "./describe-desc.ts";
import { openPeer } from "./open-peer.ts";
import { type ActionScope, milliseconds, runAction } from "./run-action.ts";

interface InspectFlags {
  timeout: number;
  key?: string;
}

const timeoutOption = [
  "--timeout <ms>",
  "deadline of each reflection call",
  milliseconds,
  10_000,
] as const;

async function list(
  _scope: ActionScope,
  peer: string,
  service: string | undefined,
  flags: InspectFlags,
): Promise<number> {
  const open = await openPeer(peer, flags);
  try {
    if (service === undefined) {
      const names = await listServices(open.transport, { timeoutMs: flags.timeout });
      process.stdout.write(
        names
          .sort()
          .map((name) => `${name}\n`)
          .join(""),
      );
      return 0;
    }
    const registry = await fetchDescriptors(open.transport, [service], {
      timeoutMs: flags.timeout,
    });
    const desc = registry.getService(service);
    if (desc === undefined) {
      throw new ConnectError(`${service} is not a service`, Code.NotFound);
    }
    process.stdout.write(desc.methods.map((m) => `${service}/${m.name}\n`).join(""));
    return 0;
  } finally {
    await open.close();
  }
}

async function describe(
  scope: ActionScope,
  peer: string,
  symbol: string,
  flags: InspectFlags,
): Promise<number> {
  const open = await openPeer(peer, flags);
  try {
    const name = symbol.replace("/", ".");
    const registry = await fetchDescriptors(open.transport, [name], { timeoutMs: flags.timeout });
    scope.registry = registry;
    const at = name.lastIndexOf(".");
    const service = registry.getService(name);
    const method = registry
      .getService(name.slice(0, at))
      ?.methods.find((m) => m.name === name.slice(at + 1));
    const message = registry.getMessage(name);
    const enumDesc = registry.getEnum(name);
    let text: string;
    if (service !== undefined) {
      text = describeService(service);
    } else if (method !== undefined) {
      text = [
        describeMethod(method),
        describeMessage(method.input),
        describeMessage(method.output),
      ].join("\n\n");
    } else if (message !== undefined) {
      text = describeMessage(message);
    } else if (enumDesc !== undefined) {
      text = describeEnum(enumDesc);
    } else {
      throw new ConnectError(`${symbol} is not a service, method, message or enum`, Code.NotFound);
    }
    process.stdout.write(`${text}\n`);
    return 0;
  } finally {
    await open.close();
  }
}

/** `p2prpc list PEER [SERVICE]`. */
export function listCommand(): Command {
  return new Command("list")
    .description(
      "list the services a peer serves, or the methods of one service (through reflection)",
    )
    .argument("<peer>", "a multiaddr ending in /p2p/<peer id>, or a PeerId the node can reach")
    .argument("[service]", "a service whose methods to list")
    .option(...timeoutOption)
    .option("--key <file>", "key file of the calling node (default: a new key)")
    .addHelpText(
      "after",
      `
Examples:
  p2prpc list /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…
  p2prpc list /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW… acme.greeter.v1.GreeterService`,
    )
    .action(runAction(list));
}

/** `p2prpc describe PEER SYMBOL`. */
export function describeCommand(): Command {
  return new Command("describe")
    .description("show a service, method, message or enum as .proto text (through reflection)")
    .argument("<peer>", "a multiaddr ending in /p2p/<peer id>, or a PeerId the node can reach")
    .argument("<symbol>", "pkg.Service, pkg.Service/Method, pkg.Message or pkg.Enum")
    .option(...timeoutOption)
    .option("--key <file>", "key file of the calling node (default: a new key)")
    .addHelpText(
      "after",
      `
Examples:
  p2prpc describe $PEER acme.greeter.v1.GreeterService
  p2prpc describe $PEER acme.greeter.v1.GreeterService/SayHello`,
    )
    .action(runAction(describe));
}
