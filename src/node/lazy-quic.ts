// Relies on: @chainsafe/libp2p-quic ~2.1.1, whose `QuicTransport` opens its
// two native dialing endpoints (IPv4 and IPv6 UDP sockets) in its
// constructor, and whose `dialFilter` and `listenFilter` keep the addresses
// `QUIC_V1.exactMatch` of @multiformats/multiaddr-matcher accepts; libp2p v3's
// transport manager, which asks a transport's filters on every dial and
// listen, and starts and stops it with the node.
import type {
  CreateListenerOptions,
  DialTransportOptions,
  Listener,
  Transport,
} from "@libp2p/interface";
import { serviceCapabilities, transportSymbol } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { QUIC_V1 } from "@multiformats/multiaddr-matcher";

/** The QUIC addresses among `addresses`, as @chainsafe/libp2p-quic's filters keep them. */
function quicAddresses(addresses: Multiaddr[]): Multiaddr[] {
  return addresses.filter((address) => QUIC_V1.exactMatch(address));
}

/**
 * Wraps a QUIC transport factory (`quic(init)`) so that the transport is made
 * only when the node first dials or listens on a QUIC address.
 *
 * Why: @chainsafe/libp2p-quic opens two native UDP endpoints, with their
 * receive buffers, when the transport is made, about 270 KiB per node, on a
 * node that never dials or listens on QUIC too (bench/README.md, "Where an
 * idle peer's bytes go"). A client that reaches its servers over TCP, or a
 * process holding many nodes, pays that for nothing.
 *
 * The transport stands in for QUIC from the start: it has QUIC's tag and
 * filters, so libp2p picks it for QUIC addresses only, and the fast path
 * (`withFastPath`) wraps it as QUIC. A node that listens on QUIC (the default
 * listen addresses do) makes the transport as it starts, as without this
 * wrapper. An error in making it (no UDP socket to be had) comes with the
 * first QUIC dial or listen instead of from `createLibp2p`.
 *
 * `createRpcNode` uses it for its QUIC transport; a node of the user's own
 * gets it by wrapping `quic()` the same way.
 *
 * @example
 * ```ts
 * const node = await createLibp2p({ transports: [tcp(), lazyQuic(quic())], … });
 * ```
 */
export function lazyQuic<C>(factory: (components: C) => Transport): (components: C) => Transport {
  return (components) => new LazyQuic(() => factory(components));
}

class LazyQuic implements Transport {
  readonly [Symbol.toStringTag] = "quic";
  readonly [transportSymbol] = true;
  readonly [serviceCapabilities] = ["@libp2p/transport"];
  readonly dialFilter = quicAddresses;
  readonly listenFilter = quicAddresses;
  readonly #make: () => Transport;
  #transport: Transport | undefined;
  /** The made transport's start, when the node had started: a dial waits for it. */
  #starting: Promise<unknown> = Promise.resolve();
  #started = false;

  constructor(make: () => Transport) {
    this.#make = make;
  }

  /** The QUIC transport, made on first use, and started if the node is. */
  #quic(): Transport {
    if (this.#transport === undefined) {
      this.#transport = this.#make();
      if (this.#started) {
        this.#start(this.#transport);
      }
    }
    return this.#transport;
  }

  #start(transport: Transport): void {
    const starting = Promise.resolve(startableOf(transport)?.start());
    // A failed start fails the next dial; the listener's own start reports it too.
    starting.catch(() => {});
    this.#starting = starting;
  }

  async start(): Promise<void> {
    this.#started = true;
    if (this.#transport !== undefined) {
      this.#start(this.#transport);
      await this.#starting;
    }
  }

  async stop(): Promise<void> {
    this.#started = false;
    await startableOf(this.#transport)?.stop();
  }

  async dial(address: Multiaddr, options: DialTransportOptions): ReturnType<Transport["dial"]> {
    const quic = this.#quic();
    await this.#starting;
    return quic.dial(address, options);
  }

  createListener(options: CreateListenerOptions): Listener {
    return this.#quic().createListener(options);
  }
}

interface Startable {
  start(): unknown;
  stop(): unknown;
}

/** `transport`'s start and stop, when it has them. */
function startableOf(transport: Transport | undefined): Startable | undefined {
  const startable = transport as Partial<Startable> | undefined;
  return typeof startable?.start === "function" && typeof startable.stop === "function"
    ? (startable as Startable)
    : undefined;
}
