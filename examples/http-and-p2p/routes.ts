// One routes function for both servers: Connect's HTTP handler and p2prpc's
// libp2p service take the same `routes(router)`. The handlers are plain
// Connect handlers; the only difference they see is who called: over libp2p
// the context carries the caller's authenticated PeerId (remotePeerKey).
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { remotePeerKey } from "p2prpc";
import { GreeterService } from "../../gen/acme/greeter/v1/greeter_pb.ts";

/** "peer 12D3KooW…" over libp2p, "HTTP" over HTTP. */
function caller(ctx: HandlerContext): string {
  const peer = ctx.values.get(remotePeerKey);
  return peer === undefined ? "HTTP" : `peer ${peer.peerId}`;
}

export function routes(router: ConnectRouter): void {
  router.service(GreeterService, {
    sayHello: (req, ctx) => ({ message: `Hello, ${req.name}! (over ${caller(ctx)})` }),
    async *countdown(req) {
      for (let remaining = req.from; remaining > 0; remaining--) {
        yield { remaining };
      }
    },
  });
}
