import { create } from "@bufbuild/protobuf";
import { type MetadataEntry, MetadataEntrySchema } from "../../gen/p2prpc/wire/v1/wire_pb.ts";

/** Converts Fetch API headers to wire metadata entries, in order. */
export function headersToMetadata(headers: Headers): MetadataEntry[] {
  const entries: MetadataEntry[] = [];
  headers.forEach((value, key) => {
    entries.push(create(MetadataEntrySchema, { key, value }));
  });
  return entries;
}

/**
 * Converts wire metadata entries to Fetch API headers.
 * Throws a TypeError when a key or value is not a valid header.
 */
export function metadataToHeaders(
  entries: readonly MetadataEntry[],
  into = new Headers(),
): Headers {
  for (const entry of entries) {
    into.append(entry.key, entry.value);
  }
  return into;
}
