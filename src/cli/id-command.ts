import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { Command } from "commander";
import { loadPrivateKey } from "../node/load-private-key.ts";
import { defaultKeyFile } from "./default-key-file.ts";
import { type ActionScope, runAction } from "./run-action.ts";

async function id(_scope: ActionScope, flags: { key?: string }): Promise<number> {
  const key = await loadPrivateKey(flags.key ?? defaultKeyFile());
  process.stdout.write(`${peerIdFromPrivateKey(key)}\n`);
  return 0;
}

/** `p2prpc id [--key FILE]`. */
export function idCommand(): Command {
  return new Command("id")
    .description(
      "print the PeerId of a key file, creating the file (a new Ed25519 key) when missing",
    )
    .option("--key <file>", "the key file (default: $P2PRPC_KEY_FILE, else ~/.p2prpc/key)")
    .addHelpText(
      "after",
      `
Example:
  p2prpc id --key server.key`,
    )
    .action(runAction(id));
}
