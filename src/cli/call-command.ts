import { createInterface } from "node:readline";
import {
  type DescMessage,
  type DescMethod,
  fromJson,
  type JsonValue,
  toJson,
} from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { Command } from "commander";
import { UsageError } from "./exit-codes.ts";
import { findMethod, loadRegistry, splitMethod } from "./load-registry.ts";
import { openPeer } from "./open-peer.ts";
import { createProgress } from "./progress.ts";
import { type ActionScope, collect, milliseconds, runAction } from "./run-action.ts";

interface CallFlags {
  header: string[];
  timeout?: number;
  key?: string;
  proto?: string;
}

/** Unary and client-streaming calls end by themselves: they get this deadline unless told. */
const DEFAULT_CALL_TIMEOUT_MS = 10_000;

function parseHeaders(pairs: string[]): Headers {
  const headers = new Headers();
  for (const pair of pairs) {
    const at = pair.indexOf(":");
    if (at <= 0) {
      throw new UsageError(`-H wants key:value, got ${pair}`);
    }
    headers.append(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
  }
  return headers;
}

function parseJson(text: string, where: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new UsageError(`${where} is not JSON: ${(error as Error).message}`);
  }
}

/** JSON lines on stdin, one request each; blank lines are skipped. */
async function* stdinMessages(
  decode: (json: JsonValue, where: string) => unknown,
): AsyncGenerator<unknown> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() !== "") {
      yield decode(parseJson(line, `stdin line ${n}`), `stdin line ${n}`);
    }
  }
}

async function call(
  scope: ActionScope,
  peer: string,
  name: string,
  json: string | undefined,
  flags: CallFlags,
): Promise<number> {
  const { service } = splitMethod(name);
  const headers = parseHeaders(flags.header);
  const open = await openPeer(peer, flags);
  try {
    const registry = await loadRegistry(open.transport, [service], {
      proto: flags.proto,
      timeoutMs: flags.timeout ?? DEFAULT_CALL_TIMEOUT_MS,
    });
    scope.registry = registry;
    const method = findMethod(registry, name);
    const decode = (value: JsonValue, where: string): unknown => {
      try {
        return fromJson(method.input, value, { registry });
      } catch (error) {
        throw new UsageError(
          `${where} is not a ${method.input.typeName}: ${(error as Error).message}`,
        );
      }
    };
    const print = (message: unknown): void => {
      process.stdout.write(
        `${JSON.stringify(toJson(method.output, message as never, { registry }))}\n`,
      );
    };
    const clientStreams =
      method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
    const input =
      json !== undefined
        ? [decode(parseJson(json, "the request"), "the request")]
        : clientStreams
          ? stdinMessages(decode)
          : [decode({}, "the request")];
    const ends = method.methodKind === "unary" || method.methodKind === "client_streaming";
    const timeoutMs = flags.timeout ?? (ends ? DEFAULT_CALL_TIMEOUT_MS : 0);
    await invoke(open.transport, method, input, headers, timeoutMs, print);
    return 0;
  } finally {
    await open.close();
  }
}

async function invoke(
  transport: Transport,
  method: DescMethod,
  input: Iterable<unknown> | AsyncIterable<unknown>,
  headers: Headers,
  timeoutMs: number,
  print: (message: unknown) => void,
): Promise<void> {
  if (method.methodKind === "unary") {
    const [request] = input as unknown[];
    const response = await transport.unary(
      method as DescMethod & { methodKind: "unary" } as never,
      undefined,
      timeoutMs,
      headers,
      request as never,
    );
    print(response.message);
    return;
  }
  const requests = (async function* () {
    yield* input;
  })();
  const response = await transport.stream<DescMessage, DescMessage>(
    method as never,
    undefined,
    timeoutMs,
    headers,
    requests as never,
  );
  const progress = createProgress(method.name);
  try {
    for await (const message of response.message) {
      progress.tick();
      print(message);
    }
  } finally {
    progress.done();
  }
}

/** `p2prpc call PEER pkg.Service/Method [JSON]`. */
export function callCommand(): Command {
  return new Command("call")
    .description(
      "call a method: the request is JSON (default {}), or JSON lines on stdin for client and bidi streams; responses print as protobuf JSON, one per line",
    )
    .argument("<peer>", "a multiaddr ending in /p2p/<peer id>, or a PeerId the node can reach")
    .argument("<method>", "pkg.Service/Method")
    .argument("[json]", "the request as JSON")
    .option("-H, --header <key:value>", "a request header (repeatable)", collect, [])
    .option(
      "--timeout <ms>",
      "deadline of the call; 0 for none (default: 10000 for unary and client streams, none for server and bidi streams)",
      milliseconds,
    )
    .option("--key <file>", "key file of the calling node (default: a new key)")
    .option(
      "--proto <dir>",
      "describe the method from .proto files in <dir> (buf build) instead of reflection",
    )
    .addHelpText(
      "after",
      `
Examples:
  p2prpc call /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW… acme.greeter.v1.GreeterService/SayHello '{"name":"Ada"}'
  printf '{"name":"a"}\\n{"name":"b"}\\n' | p2prpc call $PEER acme.greeter.v1.GreeterService/CollectNames
  p2prpc call $PEER acme.greeter.v1.GreeterService/SayHello '{}' -H x-trace:1 --timeout 2000`,
    )
    .action(runAction(call));
}
