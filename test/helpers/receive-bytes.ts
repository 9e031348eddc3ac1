import type { MessageStream } from "@libp2p/interface";
import { Uint8ArrayList } from "uint8arraylist";

/** Collects what `stream` receives until at least `bytes` arrived, then stops listening. */
export function receiveBytes(stream: MessageStream, bytes: number): Promise<Uint8ArrayList> {
  const received = new Uint8ArrayList();
  return new Promise((resolve) => {
    const onMessage = (event: { data: Uint8Array | Uint8ArrayList }): void => {
      received.append(event.data);
      if (received.byteLength >= bytes) {
        stream.removeEventListener("message", onMessage);
        resolve(received);
      }
    };
    stream.addEventListener("message", onMessage);
  });
}
