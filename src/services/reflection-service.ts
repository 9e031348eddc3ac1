import {
  create,
  type DescFile,
  type DescService,
  fromBinary,
  type MessageInitShape,
  toBinary,
} from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import {
  ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
} from "../../gen/grpc/reflection/v1/reflection_pb.ts";
import {
  ServerReflectionRequestSchema as ServerReflectionRequestV1AlphaSchema,
  ServerReflectionResponseSchema as ServerReflectionResponseV1AlphaSchema,
  ServerReflection as ServerReflectionV1Alpha,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.ts";

/** Options of {@link createReflectionService}. */
export interface ReflectionServiceOptions {
  /**
   * The services to describe. By default, every service registered on the
   * router the reflection service is registered on, before or after it, as
   * the router knows them when a reflection call starts.
   */
  services?: readonly DescService[];
}

/** The standard gRPC reflection services, returned by {@link createReflectionService}. */
export interface ReflectionService {
  /** Registers `grpc.reflection.v1.ServerReflection` and `grpc.reflection.v1alpha.ServerReflection`. */
  readonly routes: (router: ConnectRouter) => void;
}

type Response = MessageInitShape<typeof ServerReflectionResponseSchema>;

/** What one reflection call answers from: the files of the services, by name and by symbol. */
interface DescriptorIndex {
  readonly services: readonly DescService[];
  readonly files: ReadonlyMap<string, DescFile>;
  readonly symbols: ReadonlyMap<string, DescFile>;
  /** `extendee type name` → field number → file. */
  readonly extensions: ReadonlyMap<string, ReadonlyMap<number, DescFile>>;
}

/**
 * Creates gRPC's server reflection (`grpc.reflection.v1.ServerReflection`,
 * and `v1alpha` for older clients), answered from the protobuf-es
 * descriptors of the registered services, so that tools such as
 * `p2prpc list`/`describe`/`call` (or grpcurl, over HTTP) can call a
 * service without its .proto files. Files are sent with all their
 * transitive dependencies.
 *
 * @example
 * ```ts
 * import { createReflectionService, createRpcNode, rpcServer } from "p2prpc";
 *
 * const reflection = createReflectionService();
 * const node = await createRpcNode({
 *   services: {
 *     rpc: rpcServer({
 *       routes: (router) => {
 *         router.service(GreeterService, greeterImpl);
 *         reflection.routes(router);
 *       },
 *     }),
 *   },
 * });
 * ```
 */
export function createReflectionService(options: ReflectionServiceOptions = {}): ReflectionService {
  return {
    routes(router) {
      const index = (): DescriptorIndex =>
        indexServices(options.services ?? uniqueServices(router.handlers.map((h) => h.service)));
      router.service(ServerReflection, {
        async *serverReflectionInfo(requests) {
          const known = index();
          for await (const request of requests) {
            yield answer(known, request);
          }
        },
      });
      router.service(ServerReflectionV1Alpha, {
        async *serverReflectionInfo(requests) {
          const known = index();
          for await (const request of requests) {
            // v1alpha has v1's messages under another package: same fields, same numbers.
            const v1 = fromBinary(
              ServerReflectionRequestSchema,
              toBinary(ServerReflectionRequestV1AlphaSchema, request),
            );
            const response = toBinary(
              ServerReflectionResponseSchema,
              create(ServerReflectionResponseSchema, answer(known, v1)),
            );
            yield fromBinary(ServerReflectionResponseV1AlphaSchema, response);
          }
        },
      });
    },
  };
}

function uniqueServices(services: DescService[]): DescService[] {
  const byName = new Map<string, DescService>();
  for (const service of services) {
    byName.set(service.typeName, service);
  }
  return [...byName.values()];
}

function indexServices(services: readonly DescService[]): DescriptorIndex {
  const files = new Map<string, DescFile>();
  const symbols = new Map<string, DescFile>();
  const extensions = new Map<string, Map<number, DescFile>>();
  const add = (file: DescFile): void => {
    // A DescFile's `name` has no ".proto"; reflection uses the full file name.
    if (files.has(file.proto.name)) {
      return;
    }
    files.set(file.proto.name, file);
    for (const type of nestedTypes(file)) {
      symbols.set(type.typeName, file);
      if (type.kind === "service") {
        for (const method of type.methods) {
          symbols.set(`${type.typeName}.${method.name}`, file);
        }
      } else if (type.kind === "extension") {
        const byNumber = extensions.get(type.extendee.typeName) ?? new Map<number, DescFile>();
        byNumber.set(type.number, file);
        extensions.set(type.extendee.typeName, byNumber);
      }
    }
    for (const dependency of file.dependencies) {
      add(dependency);
    }
  };
  for (const service of services) {
    add(service.file);
  }
  return { services, files, symbols, extensions };
}

/** `file` and its transitive dependencies, each once, every file after its dependencies. */
function withDependencies(file: DescFile): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const visit = (f: DescFile): void => {
    if (seen.has(f.proto.name)) {
      return;
    }
    seen.add(f.proto.name);
    for (const dependency of f.dependencies) {
      visit(dependency);
    }
    out.push(toBinary(FileDescriptorProtoSchema, f.proto));
  };
  visit(file);
  return out;
}

function answer(index: DescriptorIndex, request: ServerReflectionRequest): Response {
  const base = { validHost: request.host, originalRequest: request };
  const files = (file: DescFile | undefined, what: string): Response =>
    file === undefined
      ? {
          ...base,
          messageResponse: {
            case: "errorResponse",
            value: { errorCode: Code.NotFound, errorMessage: `${what} not found` },
          },
        }
      : {
          ...base,
          messageResponse: {
            case: "fileDescriptorResponse",
            value: { fileDescriptorProto: withDependencies(file) },
          },
        };
  const { messageRequest } = request;
  switch (messageRequest.case) {
    case "listServices":
      return {
        ...base,
        messageResponse: {
          case: "listServicesResponse",
          value: { service: index.services.map((s) => ({ name: s.typeName })) },
        },
      };
    case "fileByFilename":
      return files(index.files.get(messageRequest.value), `file ${messageRequest.value}`);
    case "fileContainingSymbol":
      return files(index.symbols.get(messageRequest.value), `symbol ${messageRequest.value}`);
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = messageRequest.value;
      return files(
        index.extensions.get(containingType)?.get(extensionNumber),
        `extension ${extensionNumber} of ${containingType}`,
      );
    }
    case "allExtensionNumbersOfType": {
      const type = messageRequest.value;
      if (!index.symbols.has(type)) {
        return files(undefined, `type ${type}`);
      }
      return {
        ...base,
        messageResponse: {
          case: "allExtensionNumbersResponse",
          value: {
            baseTypeName: type,
            extensionNumber: [...(index.extensions.get(type)?.keys() ?? [])],
          },
        },
      };
    }
    default:
      return {
        ...base,
        messageResponse: {
          case: "errorResponse",
          value: { errorCode: Code.InvalidArgument, errorMessage: "no request in the message" },
        },
      };
  }
}
