import type { DescService } from "@bufbuild/protobuf";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { DEFAULT_PROTOCOL_PREFIX } from "../constants.ts";
import type { MethodProtocolOptions } from "../protocol-id.ts";

/**
 * The key under which servers of a service advertise themselves in the DHT
 * (provider records): a CIDv1 with the `raw` codec (0x55) over the SHA-256
 * multihash of the UTF-8 bytes of `<prefix>/<package.Service>`, e.g.
 * `/p2prpc/acme.greeter.v1.GreeterService` — the service's method protocol
 * ids without their `/<Method>/<version>` tail. docs/DISCOVERY.md gives the
 * derivation step by step.
 *
 * @example
 * ```ts
 * import { serviceCid } from "p2prpc";
 * import { GreeterService } from "./gen/acme/greeter/v1/greeter_pb.ts";
 *
 * const cid = await serviceCid(GreeterService);
 * for await (const provider of node.contentRouting.findProviders(cid)) {
 *   console.log(provider.id.toString());
 * }
 * ```
 */
export async function serviceCid(
  service: DescService | string,
  options?: MethodProtocolOptions,
): Promise<CID> {
  const typeName = typeof service === "string" ? service : service.typeName;
  return serviceKeyCid(`${options?.protocolPrefix ?? DEFAULT_PROTOCOL_PREFIX}/${typeName}`);
}

/** The CID of a service key, `<prefix>/<package.Service>`. @internal */
export async function serviceKeyCid(serviceKey: string): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(serviceKey)));
}

/** The service key of a method protocol id: the id without `/<Method>/<version>`. @internal */
export function serviceKeyOf(protocol: string): string {
  const version = protocol.lastIndexOf("/");
  const method = protocol.lastIndexOf("/", version - 1);
  return protocol.slice(0, method);
}
