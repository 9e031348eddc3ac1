import type { DescMethod } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { ConformanceService } from "../gen/p2prpc/conformance/v1/conformance_pb.ts";
import { createLibp2pTransport, type Libp2pTransportCommonOptions } from "../src/index.ts";
import { methodProtocol } from "../src/protocol-id.ts";
import { RawStream } from "./raw-stream.ts";

/** What a scripted server does with one stream of a method: reads and writes frames by hand. */
export type StreamScript = (raw: RawStream, index: number) => Promise<void>;

/**
 * A libp2p node that `handle()`s the conformance service's protocols and
 * answers each stream with a script the current row set, writing frames by
 * hand: the other end of a client under test. It serves one row at a time.
 */
export class ScriptedServer {
  readonly node: Libp2p;
  readonly #scripts = new Map<string, StreamScript>();
  #runs: Promise<void>[] = [];
  #handled = new Set<string>();

  constructor(node: Libp2p) {
    this.node = node;
  }

  /**
   * Answers every later stream of `method` with `script`. The scripts' runs,
   * in the order their streams arrived, are in {@link runs}; a script that
   * throws fails its run.
   */
  async script(method: DescMethod, script: StreamScript): Promise<void> {
    const protocol = methodProtocol(method);
    this.#scripts.set(protocol, script);
    if (!this.#handled.has(protocol)) {
      this.#handled.add(protocol);
      await this.node.handle(protocol, (stream) => {
        const current = this.#scripts.get(protocol);
        const raw = new RawStream(stream);
        const index = this.#runs.length;
        const run = (current ?? refuse)(raw, index);
        run.catch(() => raw.stream.abort(new Error("the script failed")));
        this.#runs.push(run);
      });
    }
  }

  /** The run of the `index`-th stream any script served since the last {@link reset}. */
  run(index: number): Promise<void> {
    const run = this.#runs[index];
    return run ?? Promise.reject(new Error(`no stream number ${index} was served`));
  }

  /** How many streams the scripts served since the last {@link reset}. */
  get streams(): number {
    return this.#runs.length;
  }

  /** Forgets the scripts and runs of the last row. */
  reset(): void {
    this.#scripts.clear();
    for (const run of this.#runs) {
      run.catch(() => {});
    }
    this.#runs = [];
  }
}

async function refuse(raw: RawStream): Promise<void> {
  raw.stream.abort(new Error("no script for this stream"));
}

/** A p2prpc client of `server`, with the suite's own transport options on top. */
export function conformanceClient(
  client: Libp2p,
  server: Libp2p,
  options: Partial<Libp2pTransportCommonOptions> = {},
): Client<typeof ConformanceService> {
  return createClient(
    ConformanceService,
    createLibp2pTransport({ libp2p: client, ...options, peer: server.getMultiaddrs() }),
  );
}
