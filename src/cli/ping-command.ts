import { Command } from "commander";
import { openPeer } from "./open-peer.ts";
import { type ActionScope, milliseconds, runAction } from "./run-action.ts";

interface PingFlags {
  count: number;
  timeout: number;
  key?: string;
}

async function ping(_scope: ActionScope, peer: string, flags: PingFlags): Promise<number> {
  const open = await openPeer(peer, flags);
  try {
    for (let i = 0; i < flags.count; i++) {
      const rttMs = await open.node.services.ping.ping(open.target, {
        signal: AbortSignal.timeout(flags.timeout),
      });
      process.stdout.write(`pong from ${peer}: time=${rttMs} ms\n`);
    }
    return 0;
  } finally {
    await open.close();
  }
}

/** `p2prpc ping PEER`. */
export function pingCommand(): Command {
  return new Command("ping")
    .description("measure the round-trip time to a peer with libp2p ping")
    .argument("<peer>", "a multiaddr ending in /p2p/<peer id>, or a PeerId the node can reach")
    .option("-c, --count <n>", "pings to send", (v) => Number.parseInt(v, 10), 3)
    .option("--timeout <ms>", "deadline of each ping", milliseconds, 10_000)
    .option("--key <file>", "key file of the calling node (default: a new key)")
    .addHelpText(
      "after",
      `
Example:
  p2prpc ping /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW… -c 5`,
    )
    .action(runAction(ping));
}
