import assert from "node:assert/strict";
import { fromJson, toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Transport } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { afterAll, beforeAll, describe, it } from "vitest";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.ts";
import { ServerReflection as ServerReflectionV1Alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { DirectoryService } from "../../gen/p2prpc/test/v1/directory_pb.ts";
import { Entry_Kind } from "../../gen/p2prpc/test/v1/directory_types_pb.ts";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import {
  createLibp2pTransport,
  createReflectionService,
  createRpcNode,
  fetchDescriptors,
  listServices,
  rpcServer,
} from "../../src/index.ts";
import { createEchoProbe, echoImpl } from "../helpers/echo-service.ts";
import { memoryListen, TEST_CALL_TIMEOUT_MS } from "../helpers/start-pair.ts";
import { codeOf } from "../helpers/wait-for.ts";

const CHECKED_AT = new Date("2026-12-01T12:00:00Z");

describe("createReflectionService", () => {
  let server: Libp2p;
  let client: Libp2p;
  let transport: Transport;

  beforeAll(async () => {
    const reflection = createReflectionService();
    server = await createRpcNode({
      listen: memoryListen(),
      services: {
        rpc: rpcServer({
          routes: (router) => {
            reflection.routes(router); // before the others: it sees them all the same
            router.service(EchoService, echoImpl(createEchoProbe()));
            router.service(DirectoryService, {
              lookUp: ({ name }) => ({
                entry: { name, kind: Entry_Kind.PEER, addresses: [{ multiaddr: "/memory/x" }] },
                checkedAt: timestampFromDate(CHECKED_AT),
              }),
            });
          },
        }),
      },
    });
    client = await createRpcNode({ listen: memoryListen() });
    transport = createLibp2pTransport({
      libp2p: client,
      peer: server.getMultiaddrs(),
      defaultTimeoutMs: TEST_CALL_TIMEOUT_MS,
    });
  });
  afterAll(async () => {
    await Promise.all([client.stop(), server.stop()]);
  });

  it("lists every registered service, itself included", async () => {
    assert.deepEqual((await listServices(transport)).sort(), [
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "p2prpc.test.v1.DirectoryService",
      "p2prpc.test.v1.EchoService",
    ]);
  });

  it("sends a service's file with its dependencies, enough to call it from JSON without the .proto", async () => {
    const registry = await fetchDescriptors(transport, ["p2prpc.test.v1.DirectoryService"]);
    assert.deepEqual([...registry.files].map((file) => file.proto.name).sort(), [
      "google/protobuf/descriptor.proto",
      "google/protobuf/timestamp.proto",
      "p2prpc/test/v1/directory.proto",
      "p2prpc/test/v1/directory_types.proto",
    ]);
    const service = registry.getService("p2prpc.test.v1.DirectoryService");
    assert.ok(service);
    const [method] = service.methods;
    assert.ok(method?.methodKind === "unary");
    // A client built from the fetched descriptors only, not from gen/.
    const dynamic = createClient(service, transport) as unknown as Record<
      string,
      (input: unknown) => Promise<never>
    >;
    const response = await dynamic[method.localName]?.(
      fromJson(method.input, { name: "ada" }, { registry }),
    );
    assert.deepEqual(toJson(method.output, response as never, { registry }), {
      entry: { name: "ada", kind: "KIND_PEER", addresses: [{ multiaddr: "/memory/x" }] },
      checkedAt: "2026-12-01T12:00:00Z",
    });
  });

  it("finds methods, nested types and extensions; an unknown symbol is NotFound", async () => {
    const registry = await fetchDescriptors(transport, [
      "p2prpc.test.v1.EchoService.Unary",
      "p2prpc.test.v1.Entry.Address",
    ]);
    assert.ok(registry.getService("p2prpc.test.v1.EchoService"));
    assert.ok(registry.getMessage("p2prpc.test.v1.Entry.Address"));
    assert.equal(
      await codeOf(fetchDescriptors(transport, ["p2prpc.test.v1.NoSuchThing"])),
      Code.NotFound,
    );

    const reflect = createClient(ServerReflection, transport);
    const answers = [];
    for await (const answer of reflect.serverReflectionInfo(
      (async function* () {
        yield {
          host: "h",
          messageRequest: {
            case: "fileContainingExtension" as const,
            value: { containingType: "google.protobuf.FieldOptions", extensionNumber: 50001 },
          },
        };
        yield {
          messageRequest: {
            case: "allExtensionNumbersOfType" as const,
            value: "google.protobuf.FieldOptions",
          },
        };
        yield { messageRequest: { case: "fileByFilename" as const, value: "nope.proto" } };
      })(),
    )) {
      answers.push(answer);
    }
    assert.equal(answers.length, 3);
    assert.equal(answers[0]?.validHost, "h");
    assert.equal(answers[0]?.messageResponse.case, "fileDescriptorResponse");
    assert.deepEqual(answers[1]?.messageResponse.value, {
      $typeName: "grpc.reflection.v1.ExtensionNumberResponse",
      baseTypeName: "google.protobuf.FieldOptions",
      extensionNumber: [50001],
    });
    assert.equal(answers[2]?.messageResponse.case, "errorResponse");
    assert.equal(
      answers[2]?.messageResponse.case === "errorResponse" &&
        answers[2].messageResponse.value.errorCode,
      Code.NotFound,
    );
  });

  it("answers v1alpha clients the same", async () => {
    const reflect = createClient(ServerReflectionV1Alpha, transport);
    const answers = [];
    for await (const answer of reflect.serverReflectionInfo(
      (async function* () {
        yield { messageRequest: { case: "listServices" as const, value: "" } };
        yield {
          messageRequest: {
            case: "fileByFilename" as const,
            value: "p2prpc/test/v1/directory.proto",
          },
        };
      })(),
    )) {
      answers.push(answer);
    }
    const [list, file] = answers;
    assert.equal(list?.messageResponse.case, "listServicesResponse");
    assert.equal(
      list?.messageResponse.case === "listServicesResponse" &&
        list.messageResponse.value.service.length,
      4,
    );
    assert.equal(file?.messageResponse.case, "fileDescriptorResponse");
    assert.equal(
      file?.messageResponse.case === "fileDescriptorResponse" &&
        file.messageResponse.value.fileDescriptorProto.length,
      4,
    );
  });
});
