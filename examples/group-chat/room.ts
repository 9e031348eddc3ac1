// Hosts a chat room.
//
//   node --conditions=p2prpc-source examples/group-chat/room.ts [MULTIADDR...]
//
// Prints `LISTEN <multiaddr>` lines, then `READY`.
import { createRpcNode, rpcServer } from "p2prpc";
import { ChatRoomService } from "../../gen/acme/chat/v1/chat_pb.ts";
import { createChatRoom } from "./room-service.ts";

const node = await createRpcNode({
  listen: process.argv.length > 2 ? process.argv.slice(2) : ["/ip4/127.0.0.1/tcp/0"],
  services: {
    rpc: rpcServer({ routes: (router) => router.service(ChatRoomService, createChatRoom()) }),
  },
});
for (const address of node.getMultiaddrs()) {
  console.log(`LISTEN ${address}`);
}
console.log("READY");
process.once("SIGTERM", () => void node.stop());
process.once("SIGINT", () => void node.stop());
