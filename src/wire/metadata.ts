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
 * Converts wire metadata entries to Fetch API headers, appending them in
 * order: the values of a repeated key read back from `get()` joined by `, `
 * in the order they came (PROTOCOL.md 7.1).
 * Throws a TypeError when a key or value is not a valid header, or a key is
 * not lower case (`Headers` itself would lower-case it silently).
 */
export function metadataToHeaders(
  entries: readonly MetadataEntry[],
  into = new Headers(),
): Headers {
  for (const entry of entries) {
    if (hasUpperCase(entry.key)) {
      throw new TypeError(`metadata key ${JSON.stringify(entry.key)} is not lower case`);
    }
    into.append(entry.key, entry.value);
  }
  return into;
}

/** True when `key` holds an ASCII capital letter: one pass over the key's characters. */
function hasUpperCase(key: string): boolean {
  for (let index = 0; index < key.length; index++) {
    const char = key.charCodeAt(index);
    if (char >= 0x41 && char <= 0x5a) {
      return true;
    }
  }
  return false;
}
