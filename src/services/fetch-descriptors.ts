import { create, createFileRegistry, type FileRegistry, fromBinary } from "@bufbuild/protobuf";
import {
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  ServerReflection,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from "../../gen/grpc/reflection/v1/reflection_pb.ts";

/** Options of {@link listServices} and {@link fetchDescriptors}. */
export interface ReflectionCallOptions {
  /**
   * Deadline of the reflection call, in milliseconds.
   * @default the transport's `defaultTimeoutMs`
   */
  timeoutMs?: number;
  /** Cancels the reflection call. */
  signal?: AbortSignal;
}

type Request = ServerReflectionRequest["messageRequest"];

async function reflect(
  transport: Transport,
  requests: Request[],
  options: ReflectionCallOptions,
): Promise<ServerReflectionResponse[]> {
  const client = createClient(ServerReflection, transport);
  const responses: ServerReflectionResponse[] = [];
  const input = (async function* () {
    for (const messageRequest of requests) {
      yield { messageRequest };
    }
  })();
  let failure: ConnectError | undefined;
  // Read to the end even after an error answer, so that the call ends cleanly.
  for await (const response of client.serverReflectionInfo(input, options)) {
    if (response.messageResponse.case === "errorResponse") {
      const { errorCode, errorMessage } = response.messageResponse.value;
      failure ??= new ConnectError(errorMessage, errorCode in Code ? errorCode : Code.Unknown);
    }
    responses.push(response);
  }
  if (failure !== undefined) {
    throw failure;
  }
  return responses;
}

/**
 * The names of the services a peer serves, asked through its
 * `grpc.reflection.v1.ServerReflection`.
 *
 * @example
 * ```ts
 * const transport = createLibp2pTransport({ libp2p, peer });
 * console.log(await listServices(transport, { timeoutMs: 5000 }));
 * // ["acme.greeter.v1.GreeterService", "grpc.health.v1.Health", …]
 * ```
 */
export async function listServices(
  transport: Transport,
  options: ReflectionCallOptions = {},
): Promise<string[]> {
  const [response] = await reflect(transport, [{ case: "listServices", value: "" }], options);
  if (response?.messageResponse.case !== "listServicesResponse") {
    throw new ConnectError("reflection answered without a service list", Code.Internal);
  }
  return response.messageResponse.value.service.map((service) => service.name);
}

/**
 * A registry of the files that declare `symbols` (services, methods such as
 * `pkg.Service.Method`, or message types), with their dependencies, asked
 * through the peer's `grpc.reflection.v1.ServerReflection`: enough to call
 * its services without their .proto files (`fromJson`/`toJson` with the
 * method's `input` and `output`). A symbol the peer does not know fails with
 * `NotFound`.
 *
 * @example
 * ```ts
 * const registry = await fetchDescriptors(transport, ["acme.greeter.v1.GreeterService"]);
 * const service = registry.getService("acme.greeter.v1.GreeterService");
 * const client = createClient(service!, transport);
 * ```
 */
export async function fetchDescriptors(
  transport: Transport,
  symbols: readonly string[],
  options: ReflectionCallOptions = {},
): Promise<FileRegistry> {
  const responses = await reflect(
    transport,
    symbols.map((value) => ({ case: "fileContainingSymbol", value })),
    options,
  );
  const files = new Map<string, FileDescriptorProto>();
  for (const { messageResponse } of responses) {
    if (messageResponse.case === "fileDescriptorResponse") {
      for (const bytes of messageResponse.value.fileDescriptorProto) {
        const file = fromBinary(FileDescriptorProtoSchema, bytes);
        files.set(file.name, file);
      }
    }
  }
  return createFileRegistry(create(FileDescriptorSetSchema, { file: dependenciesFirst(files) }));
}

/** The files ordered so that each comes after the files it imports, as the registry needs. */
function dependenciesFirst(files: ReadonlyMap<string, FileDescriptorProto>): FileDescriptorProto[] {
  const ordered: FileDescriptorProto[] = [];
  const seen = new Set<string>();
  const visit = (file: FileDescriptorProto): void => {
    if (seen.has(file.name)) {
      return;
    }
    seen.add(file.name);
    for (const name of file.dependency) {
      const dependency = files.get(name);
      if (dependency !== undefined) {
        visit(dependency);
      }
    }
    ordered.push(file);
  };
  for (const file of files.values()) {
    visit(file);
  }
  return ordered;
}
