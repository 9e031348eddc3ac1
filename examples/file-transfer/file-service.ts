// Receives uploads into a folder. Each chunk is hashed and written before the
// next one is read, and a write waits for the disk (`drain`): a slow disk
// holds the stream, which holds the sender, so nothing piles up in memory.
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { basename, join } from "node:path";
import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { FileService } from "../../gen/acme/files/v1/files_pb.ts";

export interface FileServiceOptions {
  /** Where uploads are written (under their base name). */
  dir: string;
  /** A pause after each chunk, in milliseconds: a slow disk, for the demo. */
  chunkDelayMs?: number;
}

export function createFileService(options: FileServiceOptions): ServiceImpl<typeof FileService> {
  return {
    async upload(requests, ctx) {
      const input = requests[Symbol.asyncIterator]();
      const first = await input.next();
      if (first.done || first.value.part.case !== "info") {
        throw new ConnectError("the first message must be the file's info", Code.InvalidArgument);
      }
      const info = first.value.part.value;
      const out = createWriteStream(join(options.dir, basename(info.name)));
      const hash = createHash("sha256");
      let size = 0n;
      try {
        for (let next = await input.next(); !next.done; next = await input.next()) {
          if (next.value.part.case !== "chunk") {
            throw new ConnectError("only chunks after the info", Code.InvalidArgument);
          }
          const chunk = next.value.part.value;
          hash.update(chunk);
          size += BigInt(chunk.byteLength);
          if (!out.write(chunk)) {
            await once(out, "drain", { signal: ctx.signal });
          }
          if (options.chunkDelayMs) {
            await new Promise((resolve) => setTimeout(resolve, options.chunkDelayMs));
          }
        }
      } finally {
        out.end();
        await once(out, "close");
      }
      if (size !== info.sizeBytes) {
        throw new ConnectError(`got ${size} bytes of ${info.sizeBytes}`, Code.DataLoss);
      }
      return { sizeBytes: size, sha256: hash.digest("hex") };
    },
  };
}
