import { generate } from "selfsigned";
import type { TlsMaterial } from "../ipc-messages.ts";

/** A throwaway P-256 certificate for localhost and 127.0.0.1, made in-process (no openssl). */
export async function createSelfSignedCert(): Promise<TlsMaterial> {
  const made = await generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + 24 * 60 * 60 * 1000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  return { key: made.private, cert: made.cert };
}
