import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { once } from "node:events";
import { type AddressInfo, createServer, connect as netConnect, type Server } from "node:net";

/**
 * A forwarder that holds every chunk (TCP) or datagram (UDP) for `delayMs`
 * in each direction before passing it on: added latency for fault tests
 * where the kernel's `tc netem` is missing. Listens on 127.0.0.1.
 */
export interface DelayProxy {
  /** The port it listens on. */
  readonly port: number;
  close(): Promise<void>;
}

/** Forwards TCP connections to `host:port`, each chunk `delayMs` late, order kept. */
export async function tcpDelayProxy(
  host: string,
  port: number,
  delayMs: number,
): Promise<DelayProxy> {
  const sockets = new Set<{ destroy(): void }>();
  const server: Server = createServer((inbound) => {
    const outbound = netConnect(port, host);
    sockets.add(inbound);
    sockets.add(outbound);
    // Timers of one duration fire in the order they were set, so chunks keep their order.
    for (const [from, to] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      from.on("data", (chunk) => {
        setTimeout(() => to.writable && to.write(chunk), delayMs);
      });
      from.on("end", () => setTimeout(() => to.end(), delayMs));
      from.on("error", () => to.destroy());
      from.on("close", () => {
        sockets.delete(from);
        setTimeout(() => to.destroy(), delayMs);
      });
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const socket of sockets) {
        socket.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Forwards UDP datagrams to `host:port` and back, each `delayMs` late. */
export async function udpDelayProxy(
  host: string,
  port: number,
  delayMs: number,
): Promise<DelayProxy> {
  const front = createSocket("udp4");
  /** One socket towards the server per client address, so answers find their way back. */
  const backs = new Map<string, Socket>();
  let closed = false;
  front.on("message", (datagram: Buffer, client: RemoteInfo) => {
    const key = `${client.address}:${client.port}`;
    let back = backs.get(key);
    if (back === undefined) {
      const socket = createSocket("udp4");
      socket.on("message", (answer: Buffer) => {
        setTimeout(() => closed || front.send(answer, client.port, client.address), delayMs);
      });
      socket.on("error", () => {});
      socket.bind(0);
      backs.set(key, socket);
      back = socket;
    }
    const to = back;
    setTimeout(() => closed || to.send(datagram, port, host), delayMs);
  });
  front.on("error", () => {});
  front.bind(0, "127.0.0.1");
  await once(front, "listening");
  return {
    port: front.address().port,
    async close() {
      closed = true;
      for (const back of backs.values()) {
        back.close();
      }
      await new Promise<void>((resolve) => front.close(() => resolve()));
    },
  };
}
