// Type tests (vitest typecheck mode; never executed): the client that
// `createClient` builds from generated code over createLibp2pTransport has
// the call signatures of each method kind. Each `@ts-expect-error` marks a
// broken variant that must not compile: if it ever compiles, the unused
// directive is itself an error and `npm test` fails.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type CallOptions, createClient, type Transport } from "@connectrpc/connect";
import { describe, expectTypeOf, test } from "vitest";
import type {
  ChatRequestSchema,
  ChatResponse,
  CollectNamesRequestSchema,
  CollectNamesResponse,
  CountdownRequestSchema,
  CountdownResponse,
  SayHelloRequestSchema,
  SayHelloResponse,
} from "../../gen/acme/greeter/v1/greeter_pb.ts";
import { GreeterService } from "../../gen/acme/greeter/v1/greeter_pb.ts";
import type { EchoRequestSchema, EchoResponse } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { createLibp2pTransport, type Libp2pTransportOptions } from "../../src/index.ts";

declare const options: Libp2pTransportOptions;
const transport = createLibp2pTransport(options);
const echo = createClient(EchoService, transport);
const greeter = createClient(GreeterService, transport);

type EchoInit = MessageInitShape<typeof EchoRequestSchema>;

describe("createLibp2pTransport", () => {
  test("returns a Connect Transport", () => {
    expectTypeOf(createLibp2pTransport).returns.toExtend<Transport>();
    // @ts-expect-error: not a promise of a transport
    expectTypeOf(createLibp2pTransport).returns.toEqualTypeOf<Promise<Transport>>();
  });
});

describe("a generated client over createLibp2pTransport (EchoService)", () => {
  test("unary: takes the request's init shape, returns a Promise of the response", () => {
    expectTypeOf(echo.unary).parameter(0).toEqualTypeOf<EchoInit>();
    expectTypeOf(echo.unary).parameter(1).toEqualTypeOf<CallOptions | undefined>();
    expectTypeOf(echo.unary).returns.toEqualTypeOf<Promise<EchoResponse>>();
    expectTypeOf(echo.unary).toBeCallableWith({ text: "hi" });
    expectTypeOf(echo.unary).toBeCallableWith({}, { timeoutMs: 1000 });
    // @ts-expect-error: a field of the wrong type
    expectTypeOf(echo.unary).toBeCallableWith({ text: 1 });
    const init: EchoInit = { text: "hi" };
    // @ts-expect-error: a field the message does not have
    const misspelt: EchoInit = { txet: "hi" };
    expectTypeOf(echo.unary).toBeCallableWith(init);
    expectTypeOf(misspelt).toEqualTypeOf<EchoInit>();
    // @ts-expect-error: a unary call answers once, not as a stream
    expectTypeOf(echo.unary).returns.toEqualTypeOf<AsyncIterable<EchoResponse>>();
  });

  test("server streaming: takes the request's init shape, returns an AsyncIterable of responses", () => {
    expectTypeOf(echo.serverStream).parameter(0).toEqualTypeOf<EchoInit>();
    expectTypeOf(echo.serverStream).returns.toEqualTypeOf<AsyncIterable<EchoResponse>>();
    expectTypeOf(echo.serverStream).toBeCallableWith({ repeat: 3 });
    // @ts-expect-error: a server stream is iterated, not awaited
    expectTypeOf(echo.serverStream).returns.toEqualTypeOf<Promise<EchoResponse>>();
    // @ts-expect-error: one request, not a stream of them
    expectTypeOf(echo.serverStream).parameter(0).toEqualTypeOf<AsyncIterable<EchoInit>>();
  });

  test("client streaming: takes an AsyncIterable of init shapes, returns a Promise of the response", () => {
    expectTypeOf(echo.clientStream).parameter(0).toEqualTypeOf<AsyncIterable<EchoInit>>();
    expectTypeOf(echo.clientStream).returns.toEqualTypeOf<Promise<EchoResponse>>();
    // @ts-expect-error: a single request where a stream of them is due
    expectTypeOf(echo.clientStream).toBeCallableWith({ text: "one" });
    // @ts-expect-error: answers once, not as a stream
    expectTypeOf(echo.clientStream).returns.toEqualTypeOf<AsyncIterable<EchoResponse>>();
  });

  test("bidi streaming: takes an AsyncIterable of init shapes, returns an AsyncIterable of responses", () => {
    expectTypeOf(echo.bidi).parameter(0).toEqualTypeOf<AsyncIterable<EchoInit>>();
    expectTypeOf(echo.bidi).returns.toEqualTypeOf<AsyncIterable<EchoResponse>>();
    // @ts-expect-error: a single request where a stream of them is due
    expectTypeOf(echo.bidi).toBeCallableWith({ text: "one" });
    // @ts-expect-error: answers as a stream, not once
    expectTypeOf(echo.bidi).returns.toEqualTypeOf<Promise<EchoResponse>>();
  });

  test("has exactly the service's methods", () => {
    expectTypeOf(echo).toHaveProperty("missing");
    // @ts-expect-error: the service has no such method
    expectTypeOf(echo).toHaveProperty("nope");
  });
});

describe("a generated client over createLibp2pTransport (GreeterService)", () => {
  test("sayHello (unary)", () => {
    expectTypeOf(greeter.sayHello)
      .parameter(0)
      .toEqualTypeOf<MessageInitShape<typeof SayHelloRequestSchema>>();
    expectTypeOf(greeter.sayHello).returns.toEqualTypeOf<Promise<SayHelloResponse>>();
    expectTypeOf(greeter.sayHello).toBeCallableWith({ name: "Ada" });
    // @ts-expect-error: a field of the wrong type
    expectTypeOf(greeter.sayHello).toBeCallableWith({ name: 42 });
    // @ts-expect-error: another method's response
    expectTypeOf(greeter.sayHello).returns.toEqualTypeOf<Promise<CountdownResponse>>();
  });

  test("countdown (server streaming)", () => {
    expectTypeOf(greeter.countdown)
      .parameter(0)
      .toEqualTypeOf<MessageInitShape<typeof CountdownRequestSchema>>();
    expectTypeOf(greeter.countdown).returns.toEqualTypeOf<AsyncIterable<CountdownResponse>>();
    // @ts-expect-error: a server stream is iterated, not awaited
    expectTypeOf(greeter.countdown).returns.toEqualTypeOf<Promise<CountdownResponse>>();
  });

  test("collectNames (client streaming)", () => {
    expectTypeOf(greeter.collectNames)
      .parameter(0)
      .toEqualTypeOf<AsyncIterable<MessageInitShape<typeof CollectNamesRequestSchema>>>();
    expectTypeOf(greeter.collectNames).returns.toEqualTypeOf<Promise<CollectNamesResponse>>();
    // @ts-expect-error: one request where a stream of them is due
    expectTypeOf(greeter.collectNames).toBeCallableWith({ name: "Ada" });
  });

  test("chat (bidi streaming)", () => {
    expectTypeOf(greeter.chat)
      .parameter(0)
      .toEqualTypeOf<AsyncIterable<MessageInitShape<typeof ChatRequestSchema>>>();
    expectTypeOf(greeter.chat).returns.toEqualTypeOf<AsyncIterable<ChatResponse>>();
    // @ts-expect-error: answers as a stream, not once
    expectTypeOf(greeter.chat).returns.toEqualTypeOf<Promise<ChatResponse>>();
  });
});
