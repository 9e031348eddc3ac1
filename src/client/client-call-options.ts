import type { BinaryReadOptions, BinaryWriteOptions } from "@bufbuild/protobuf";

/** Client settings every call needs, resolved once per transport. */
export interface ClientCallOptions {
  readonly readMaxBytes: number;
  readonly writeMaxBytes: number;
  readonly binaryOptions: Partial<BinaryReadOptions & BinaryWriteOptions> | undefined;
}
