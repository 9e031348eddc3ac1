import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";

/**
 * Reads a node's private key from `path` (libp2p's protobuf key encoding), or
 * creates an Ed25519 key there (mode 0600) when the file does not exist, so
 * the PeerId survives restarts. Two processes creating the same file at once
 * end up with the same key.
 *
 * @example
 * ```ts
 * import { createLibp2p } from "libp2p";
 * import { loadPrivateKey } from "p2prpc";
 *
 * const node = await createLibp2p({ privateKey: await loadPrivateKey(".keys/node.key") });
 * ```
 */
export async function loadPrivateKey(path: string): Promise<PrivateKey> {
  try {
    return privateKeyFromProtobuf(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw error;
    }
  }
  const key = await generateKeyPair("Ed25519");
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
      throw error;
    }
    // Another process created it first: use theirs.
    return privateKeyFromProtobuf(await readFile(path));
  }
  return key;
}
