import { fromBinary, type Registry, toJson } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { toConnectError } from "../to-connect-error.ts";
import { UsageError } from "./exit-codes.ts";

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

/**
 * A failure as people read it: the code's name and number, the message, each
 * detail (as JSON when `registry` knows its type) and the error's metadata.
 *
 *     ERROR: NotFound (5): unknown service acme.Nope
 *       detail google.rpc.ErrorInfo: {"reason":"…"}
 *       metadata x-request-id: 42
 */
export function formatError(error: unknown, registry?: Registry): string {
  if (error instanceof UsageError) {
    return `error: ${error.message}`;
  }
  const connectError = toConnectError(error, Code.Unknown);
  const lines = [
    `ERROR: ${Code[connectError.code]} (${connectError.code}): ${connectError.rawMessage}`,
  ];
  for (const detail of connectError.details) {
    if ("desc" in detail) {
      lines.push(
        `  detail ${detail.desc.typeName}: ${JSON.stringify(toJson(detail.desc, detail.value as never))}`,
      );
      continue;
    }
    const desc = registry?.getMessage(detail.type);
    if (desc === undefined) {
      lines.push(`  detail ${detail.type} (base64): ${base64(detail.value)}`);
    } else {
      const json = toJson(desc, fromBinary(desc, detail.value), { registry });
      lines.push(`  detail ${detail.type}: ${JSON.stringify(json)}`);
    }
  }
  for (const [key, value] of connectError.metadata) {
    lines.push(`  metadata ${key}: ${value}`);
  }
  return lines.join("\n");
}
