import type { ContentRouting, Logger } from "@libp2p/interface";
import type { CID } from "multiformats/cid";
import { serviceKeyCid } from "./service-cid.ts";

/**
 * Publishes provider records for the services a server serves while it runs:
 * one `contentRouting.provide` per service on start (kad-dht then publishes
 * it again before it expires, see `providerRepublishIntervalMs`), and
 * `cancelReprovide` on stop, so the records expire on the nodes that store
 * them. The server never waits for it: a DHT with no peers yet holds the
 * first publication back until it has some.
 */
export class ServiceAdvertiser {
  readonly #routing: ContentRouting;
  readonly #log: Logger;
  #cids: CID[] = [];
  #running = new AbortController();
  /** Settles once every publication started has ended (published, failed or aborted). */
  #publishing: Promise<unknown> = Promise.resolve();

  constructor(routing: ContentRouting, log: Logger) {
    this.#routing = routing;
    this.#log = log;
  }

  /** Starts advertising these service keys (`<prefix>/<package.Service>`). */
  start(serviceKeys: readonly string[]): void {
    this.#running = new AbortController();
    const signal = this.#running.signal;
    // Not awaited by start(): a publication runs until the DHT has peers to store it.
    this.#publishing = Promise.all(serviceKeys.map((key) => serviceKeyCid(key))).then((cids) => {
      if (signal.aborted) {
        return;
      }
      this.#cids = cids;
      return Promise.all(
        cids.map((cid, index) =>
          this.#routing.provide(cid, { signal }).then(
            () => this.#log("advertised %s as %s", serviceKeys[index], cid),
            (error: unknown) => {
              if (!signal.aborted) {
                this.#log.error("advertising %s failed - %e", serviceKeys[index], error);
              }
            },
          ),
        ),
      );
    });
  }

  /** Stops publishing the records again; those already stored expire. */
  async stop(): Promise<void> {
    this.#running.abort();
    // A publication still under way could write its record after the cancel.
    await this.#publishing;
    await Promise.all(
      this.#cids.map((cid) =>
        this.#routing.cancelReprovide(cid).catch((error: unknown) => {
          this.#log.error("cancelling the advertisement %s failed - %e", cid, error);
        }),
      ),
    );
    this.#cids = [];
  }
}
