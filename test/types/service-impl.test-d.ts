// Type tests (vitest typecheck mode; never executed): implementations of
// generated services. Each `@ts-expect-error` marks a broken variant that
// must not compile.
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { describe, expectTypeOf, test } from "vitest";
import { GreeterService } from "../../gen/acme/greeter/v1/greeter_pb.ts";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { rpcServer } from "../../src/index.ts";

type Greeter = ServiceImpl<typeof GreeterService>;

const sayHello: Greeter["sayHello"] = (req) => ({ message: `hello ${req.name}` });
const countdown: Greeter["countdown"] = async function* (req) {
  for (let remaining = req.from; remaining > 0; remaining--) {
    yield { remaining };
  }
};
const collectNames: Greeter["collectNames"] = async (requests) => {
  const names: string[] = [];
  for await (const { name } of requests) {
    names.push(name);
  }
  return { greeting: `hello ${names.join(", ")}`, count: names.length };
};
const chat: Greeter["chat"] = async function* (requests) {
  for await (const { text } of requests) {
    yield { text };
  }
};

describe("ServiceImpl of a generated service", () => {
  test("an implementation of every method with the right types compiles", () => {
    const impl = { sayHello, countdown, collectNames, chat };
    expectTypeOf(impl).toExtend<Greeter>();
    // @ts-expect-error: an object that is not an implementation at all
    expectTypeOf({ sayHello: 1 }).toExtend<Greeter>();
  });

  test("a missing method fails to compile", () => {
    const complete: Greeter = { sayHello, countdown, collectNames, chat };
    expectTypeOf(complete).toEqualTypeOf<Greeter>();
    // @ts-expect-error: chat is missing
    const missing: Greeter = { sayHello, countdown, collectNames };
    expectTypeOf(missing).toEqualTypeOf<Greeter>();
  });

  test("a method returning the wrong type fails to compile", () => {
    const right: Greeter["sayHello"] = () => ({ message: "hi" });
    expectTypeOf(right).toEqualTypeOf<Greeter["sayHello"]>();
    // @ts-expect-error: message is a string
    const wrongField: Greeter["sayHello"] = () => ({ message: 42 });
    // @ts-expect-error: a server-streaming method yields responses; it does not return one
    const notAStream: Greeter["countdown"] = async () => ({ remaining: 1 });
    // @ts-expect-error: a unary method answers once; it does not yield
    const aStream: Greeter["sayHello"] = async function* () {
      yield { message: "hi" };
    };
    // @ts-expect-error: another method's response
    const otherResponse: Greeter["collectNames"] = async () => ({ text: "hi" });
    expectTypeOf([wrongField, notAStream, aStream, otherResponse]).toBeArray();
  });

  test("handlers get the request message and Connect's HandlerContext", () => {
    expectTypeOf<Parameters<Greeter["sayHello"]>[0]["name"]>().toEqualTypeOf<string>();
    expectTypeOf<Parameters<Greeter["sayHello"]>[1]>().toEqualTypeOf<HandlerContext>();
    // @ts-expect-error: the request has no such field
    expectTypeOf<Parameters<Greeter["sayHello"]>[0]>().toHaveProperty("nope");
  });
});

describe("rpcServer's routes", () => {
  test("router.service() type-checks the implementation it is given", () => {
    expectTypeOf(rpcServer).toBeCallableWith({
      routes: (router) =>
        router.service(GreeterService, { sayHello, countdown, collectNames, chat }),
    });
    expectTypeOf(rpcServer).toBeCallableWith({
      // @ts-expect-error: a method returning the wrong type
      routes: (router) => router.service(GreeterService, { sayHello: () => ({ message: 42 }) }),
    });
  });

  test("router.service() takes a partial implementation: left-out methods answer Unimplemented", () => {
    // As in Connect: RpcServerInit.routes documents that methods left out answer Unimplemented.
    expectTypeOf(rpcServer).toBeCallableWith({
      routes: (router) => router.service(EchoService, {}),
    });
    expectTypeOf(rpcServer).toBeCallableWith({
      // @ts-expect-error: a method the service does not have
      routes: (router) => router.service(EchoService, { nope: () => ({}) }),
    });
  });
});
