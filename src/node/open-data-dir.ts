import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Startable } from "@libp2p/interface";
import type { Libp2pOptions } from "libp2p";

/** A datastore libp2p takes (an `interface-datastore` one). */
type Datastore = NonNullable<Libp2pOptions["datastore"]>;

/** A datastore that is opened and closed, as `datastore-level`'s is. */
export interface ClosableDatastore extends Datastore {
  open(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens (creating it when missing) the LevelDB datastore under `dataDir`
 * (in `<dataDir>/datastore`), for libp2p's `datastore` option.
 * `datastore-level` is loaded only here, so a node without a data directory
 * never loads LevelDB's native addon.
 */
export async function openDataDir(dataDir: string): Promise<ClosableDatastore> {
  const path = join(dataDir, "datastore");
  await mkdir(path, { recursive: true });
  const { LevelDatastore } = await import("datastore-level");
  const datastore = new LevelDatastore(path);
  await datastore.open();
  return datastore;
}

/**
 * A libp2p service that opens `datastore` before the node starts and closes
 * it after the node stopped, so `node.stop()` releases the LevelDB lock and a
 * stopped node can be started again. libp2p itself never opens or closes its
 * datastore.
 */
export function datastoreLifecycle(datastore: ClosableDatastore): () => Startable {
  return () => ({
    async beforeStart() {
      await datastore.open();
    },
    start() {},
    stop() {},
    async afterStop() {
      await datastore.close();
    },
  });
}
