import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import type { BenchClient, PingPong, SystemModule } from "./system-module.ts";

const PROTO_ROOT = fileURLToPath(new URL("../../proto", import.meta.url));
const PROTO_FILE = "p2prpc/bench/v1/bench.proto";
/** Name in the certificate (its SANs also hold 127.0.0.1). */
const TLS_HOST = "localhost";
const CLOCK_EVERY = 64;

interface PayloadMessage {
  payload: Uint8Array;
}

interface StreamRequestMessage {
  count: number;
  payloadSize: number;
  durationMs: number;
  hold: boolean;
}

/** The methods of the client class that proto-loader generates at run time. */
interface GrpcBenchClient extends grpc.Client {
  unary(
    request: PayloadMessage,
    callback: (error: grpc.ServiceError | null, response?: PayloadMessage) => void,
  ): grpc.ClientUnaryCall;
  serverStream(request: StreamRequestMessage): grpc.ClientReadableStream<PayloadMessage>;
  bidi(): grpc.ClientDuplexStream<PayloadMessage, PayloadMessage>;
}

type GrpcBenchClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => GrpcBenchClient;

function loadBenchService(): grpc.ServiceClientConstructor {
  const definition = loadSync(PROTO_FILE, {
    includeDirs: [PROTO_ROOT],
    keepCase: false,
    defaults: true,
  });
  const root = grpc.loadPackageDefinition(definition) as unknown as {
    p2prpc: { bench: { v1: { BenchService: grpc.ServiceClientConstructor } } };
  };
  return root.p2prpc.bench.v1.BenchService;
}

/** Waits for `drain`, or returns at once when the call was cancelled. */
function drainedOrCancelled(call: grpc.ServerWritableStream<unknown, unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off("drain", done);
      call.off("cancelled", done);
      resolve();
    };
    call.on("drain", done);
    call.on("cancelled", done);
  });
}

/** grpc-js, the usual Node gRPC stack, over h2c or TLS. */
export function grpcJsSystem(tls: boolean): SystemModule {
  const service = loadBenchService();
  return {
    async startServer(context) {
      const server = new grpc.Server();
      server.addService(service.service, {
        unary(
          call: grpc.ServerUnaryCall<PayloadMessage, PayloadMessage>,
          callback: grpc.sendUnaryData<PayloadMessage>,
        ) {
          callback(null, { payload: call.request.payload });
        },
        async serverStream(call: grpc.ServerWritableStream<StreamRequestMessage, PayloadMessage>) {
          const request = call.request;
          const response = { payload: new Uint8Array(request.payloadSize) };
          const deadline =
            request.durationMs > 0
              ? performance.now() + request.durationMs
              : Number.POSITIVE_INFINITY;
          for (let index = 0; index < request.count; index++) {
            if (call.cancelled) {
              return;
            }
            if (request.hold && index === 1) {
              await context.waitForRelease();
            }
            if (index % CLOCK_EVERY === 0 && performance.now() >= deadline) {
              break;
            }
            if (!call.write(response)) {
              await drainedOrCancelled(call);
            }
          }
          call.end();
        },
        bidi(call: grpc.ServerDuplexStream<PayloadMessage, PayloadMessage>) {
          call.on("data", (request: PayloadMessage) => call.write({ payload: request.payload }));
          call.on("end", () => call.end());
          call.on("error", () => {});
        },
      });
      if (tls && context.tls === undefined) {
        throw new Error("grpc-js TLS needs the run's certificate");
      }
      const credentials =
        tls && context.tls !== undefined
          ? grpc.ServerCredentials.createSsl(
              null,
              [
                {
                  private_key: Buffer.from(context.tls.key),
                  cert_chain: Buffer.from(context.tls.cert),
                },
              ],
              false,
            )
          : grpc.ServerCredentials.createInsecure();
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", credentials, (error, bound) =>
          error === null ? resolve(bound) : reject(error),
        ),
      );
      return { address: `127.0.0.1:${port}` };
    },

    createClient(context) {
      const Client = service as unknown as GrpcBenchClientConstructor;
      const credentials =
        tls && context.tls !== undefined
          ? grpc.credentials.createSsl(Buffer.from(context.tls.cert))
          : grpc.credentials.createInsecure();
      const tlsOptions: grpc.ChannelOptions = tls
        ? { "grpc.ssl_target_name_override": TLS_HOST, "grpc.default_authority": TLS_HOST }
        : {};
      const newClient = (options: grpc.ChannelOptions = {}): GrpcBenchClient =>
        new Client(context.server.address, credentials, { ...tlsOptions, ...options });
      const unary = (client: GrpcBenchClient, payload: Uint8Array): Promise<void> =>
        new Promise((resolve, reject) => {
          client.unary({ payload }, (error) => (error === null ? resolve() : reject(error)));
        });
      return {
        async connect(): Promise<BenchClient> {
          const client = newClient();
          return {
            unary: (payload) => unary(client, payload),
            async openPingPong(): Promise<PingPong> {
              const call = client.bidi();
              let waiting: { resolve: () => void; reject: (error: Error) => void } | undefined;
              let failure: Error | undefined;
              const fail = (error: Error): void => {
                failure = error;
                waiting?.reject(error);
                waiting = undefined;
              };
              call.on("data", () => {
                const current = waiting;
                waiting = undefined;
                current?.resolve();
              });
              call.on("error", fail);
              call.on("end", () => fail(new Error("bidi call ended")));
              return {
                roundTrip(payload) {
                  if (failure !== undefined) {
                    return Promise.reject(failure);
                  }
                  return new Promise<void>((resolve, reject) => {
                    waiting = { resolve, reject };
                    call.write({ payload });
                  });
                },
                async close() {
                  const ended = new Promise<void>((resolve) => {
                    call.once("status", () => resolve());
                  });
                  call.end();
                  await ended;
                },
              };
            },
            serverStream(request, onMessage) {
              return new Promise((resolve, reject) => {
                const call = client.serverStream(request);
                call.on("data", (response: PayloadMessage) =>
                  onMessage(response.payload.byteLength),
                );
                call.on("error", reject);
                call.on("end", () => resolve());
              });
            },
            async close() {
              client.close();
            },
          };
        },
        async newPeer() {
          let client: GrpcBenchClient | undefined;
          return {
            async connectAndCall(payload) {
              // A local subchannel pool: a new connection, never a shared one.
              client = newClient({ "grpc.use_local_subchannel_pool": 1 });
              await unary(client, payload);
            },
            async close() {
              client?.close();
            },
          };
        },
      };
    },
  };
}
