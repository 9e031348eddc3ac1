import { homedir } from "node:os";
import { join } from "node:path";

/** The key file `p2prpc id` and `p2prpc serve` use when not given `--key`: $P2PRPC_KEY_FILE, else ~/.p2prpc/key. */
export function defaultKeyFile(): string {
  return process.env.P2PRPC_KEY_FILE ?? join(homedir(), ".p2prpc", "key");
}
