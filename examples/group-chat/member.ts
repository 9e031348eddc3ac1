// Joins a chat room as NAME: every line typed on stdin is said in the room,
// every line said there is printed as `#<seq> <from>: <text>`. Prints READY
// once the room has announced this member. Ends when stdin ends.
//
//   node --conditions=p2prpc-source examples/group-chat/member.ts <room multiaddr> NAME
import { createInterface } from "node:readline";
import { createClient } from "@connectrpc/connect";
import { createLibp2pTransport, createRpcNode } from "p2prpc";
import { ChatRoomService } from "../../gen/acme/chat/v1/chat_pb.ts";

const [peer, name] = process.argv.slice(2);
if (peer === undefined || name === undefined) {
  console.error("usage: member.ts <room multiaddr> NAME");
  process.exit(2);
}

async function* said() {
  yield { kind: { case: "name" as const, value: name } };
  for await (const text of createInterface({ input: process.stdin })) {
    yield { kind: { case: "text" as const, value: text } };
  }
}

const libp2p = await createRpcNode({ listen: [] });
const room = createClient(ChatRoomService, createLibp2pTransport({ libp2p, peer }));
try {
  for await (const line of room.join(said())) {
    console.log(`#${line.seq} ${line.from}: ${line.text}`);
    if (line.from === "room" && line.text === `${name} joined`) {
      console.log("READY");
    }
  }
} finally {
  await libp2p.stop();
}
