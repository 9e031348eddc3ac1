import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { TransportKind } from "./start-pair.ts";

/** A loopback port nothing listens on: closed at once over TCP, silent over QUIC (UDP). */
export async function closedPort(kind: "tcp" | "quic"): Promise<number> {
  if (kind === "tcp") {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** An address of `kind` where no peer answers, with a PeerId nobody holds. */
export async function unreachableAddress(kind: TransportKind): Promise<string> {
  const peer = peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toString();
  switch (kind) {
    case "memory":
      return `/memory/p2prpc-nobody-${process.pid}/p2p/${peer}`;
    case "tcp":
      return `/ip4/127.0.0.1/tcp/${await closedPort("tcp")}/p2p/${peer}`;
    case "quic":
      return `/ip4/127.0.0.1/udp/${await closedPort("quic")}/quic-v1/p2p/${peer}`;
  }
}
