import { once } from "node:events";
import type { AddressInfo, Server } from "node:net";

/** Starts `server` on 127.0.0.1 with an ephemeral port; returns "127.0.0.1:<port>". */
export async function listenLoopback(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return `127.0.0.1:${port}`;
}
