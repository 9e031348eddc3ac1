import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  createFileRegistry,
  type DescMethod,
  type DescService,
  type FileRegistry,
  fromBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { fetchDescriptors } from "../services/fetch-descriptors.ts";
import { UsageError } from "./exit-codes.ts";

/** Where descriptors come from: the peer's reflection, or local .proto files. */
export interface DescriptorSource {
  /** A directory of .proto files, compiled with `buf build` instead of asking the peer. */
  proto?: string;
  timeoutMs?: number;
}

/**
 * The descriptors of `symbols`: from `buf build DIR` when `--proto DIR` is
 * given (buf must be on PATH; `@bufbuild/buf` provides it), else from the
 * peer's reflection service.
 */
export async function loadRegistry(
  transport: Transport,
  symbols: readonly string[],
  source: DescriptorSource,
): Promise<FileRegistry> {
  if (source.proto === undefined) {
    return fetchDescriptors(transport, symbols, { timeoutMs: source.timeoutMs });
  }
  let image: Buffer;
  try {
    const { stdout } = await promisify(execFile)("buf", ["build", source.proto, "-o", "-"], {
      encoding: "buffer",
      maxBuffer: 256 * 1024 * 1024,
    });
    image = stdout;
  } catch (error) {
    throw new UsageError(`buf build ${source.proto} failed: ${String(error)}`);
  }
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, image));
}

/** `pkg.Service/Method` or `pkg.Service.Method` → its service and method names. */
export function splitMethod(name: string): { service: string; method: string } {
  const slash = name.lastIndexOf("/");
  const at = slash >= 0 ? slash : name.lastIndexOf(".");
  if (at <= 0 || at === name.length - 1) {
    throw new UsageError(`expected pkg.Service/Method, got ${name}`);
  }
  return { service: name.slice(0, at), method: name.slice(at + 1) };
}

/** The method `name` names in `registry`; NotFound when the peer does not describe it. */
export function findMethod(registry: FileRegistry, name: string): DescMethod {
  const { service, method } = splitMethod(name);
  const desc: DescService | undefined = registry.getService(service);
  const found = desc?.methods.find((m) => m.name === method);
  if (found === undefined) {
    throw new ConnectError(`no method ${service}/${method}`, Code.NotFound);
  }
  return found;
}
