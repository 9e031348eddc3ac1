import { Code, ConnectError } from "@connectrpc/connect";
import type { ContentRouting, PeerId } from "@libp2p/interface";
import { serviceKeyCid, serviceKeyOf } from "../discovery/service-cid.ts";
import type { PeerChannel } from "./peer-channel.ts";
import type { PeerSource, SignalOf } from "./peer-pool.ts";

/** Longest a provider lookup runs, in milliseconds; what it found by then is kept. */
const LOOKUP_TIMEOUT_MS = 30_000;

/** What a {@link ProviderPeerSource} found for one service. */
interface FoundProviders {
  readonly peers: readonly PeerId[];
  readonly atMs: number;
}

/** Options of a {@link ProviderPeerSource}. */
export interface ProviderPeerSourceOptions {
  /** How long a lookup's answer is used before the next call asks the DHT again, in milliseconds. */
  readonly maxAgeMs: number;
  /** A lookup stops once it found this many providers. */
  readonly maxProviders: number;
}

/**
 * The peers that advertise a method's service in the DHT (provider records
 * of `rpcServer({ advertise: true })`, keyed by `serviceCid`), found with
 * libp2p's `contentRouting.findProviders` and balanced by the pool. A lookup
 * runs for the first call of a service, again once its answer is older than
 * `maxAgeMs`, and when it found none; calls that come while one runs wait for
 * it. With no provider found, a call fails with `Unavailable`.
 */
export class ProviderPeerSource implements PeerSource {
  readonly #routing: ContentRouting;
  readonly #channelOf: (peer: PeerId) => PeerChannel;
  readonly #options: ProviderPeerSourceOptions;
  readonly #found = new Map<string, FoundProviders>();
  readonly #lookups = new Map<string, Promise<FoundProviders>>();
  readonly #channels = new Map<string, PeerChannel>();

  constructor(
    routing: ContentRouting,
    channelOf: (peer: PeerId) => PeerChannel,
    options: ProviderPeerSourceOptions,
  ) {
    this.#routing = routing;
    this.#channelOf = channelOf;
    this.#options = options;
  }

  candidates(
    protocol: string,
    call: SignalOf,
  ): readonly PeerChannel[] | Promise<readonly PeerChannel[]> {
    const key = serviceKeyOf(protocol);
    const found = this.#found.get(key);
    if (
      found !== undefined &&
      found.peers.length > 0 &&
      performance.now() - found.atMs < this.#options.maxAgeMs
    ) {
      return this.#channelsOf(found.peers);
    }
    return this.#lookUp(key, call.signal).then((fresh) => {
      if (fresh.peers.length === 0) {
        throw new ConnectError(`no provider of ${key} found`, Code.Unavailable);
      }
      return this.#channelsOf(fresh.peers);
    });
  }

  channels(): readonly PeerChannel[] {
    return [...this.#channels.values()];
  }

  /** One lookup of `key` at a time; a call's signal ends its wait, not the lookup others share. */
  #lookUp(key: string, signal: AbortSignal): Promise<FoundProviders> {
    let lookup = this.#lookups.get(key);
    if (lookup === undefined) {
      lookup = this.#findProviders(key).finally(() => this.#lookups.delete(key));
      this.#lookups.set(key, lookup);
    }
    return untilAborted(lookup, signal);
  }

  async #findProviders(key: string): Promise<FoundProviders> {
    const cid = await serviceKeyCid(key);
    const peers: PeerId[] = [];
    const done = new AbortController();
    try {
      const signal = AbortSignal.any([done.signal, AbortSignal.timeout(LOOKUP_TIMEOUT_MS)]);
      for await (const provider of this.#routing.findProviders(cid, { signal })) {
        peers.push(provider.id);
        if (peers.length >= this.#options.maxProviders) {
          break;
        }
      }
    } catch (error) {
      if (peers.length === 0) {
        throw new ConnectError(
          `looking up providers of ${key} failed`,
          Code.Unavailable,
          undefined,
          undefined,
          error,
        );
      }
    } finally {
      done.abort();
    }
    const found = { peers, atMs: performance.now() };
    this.#found.set(key, found);
    return found;
  }

  #channelsOf(peers: readonly PeerId[]): PeerChannel[] {
    return peers.map((peer) => {
      const id = peer.toString();
      let channel = this.#channels.get(id);
      if (channel === undefined) {
        channel = this.#channelOf(peer);
        this.#channels.set(id, channel);
      }
      return channel;
    });
  }
}

/** `promise`, or a rejection with `signal`'s reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    return Promise.reject(signal.reason);
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
