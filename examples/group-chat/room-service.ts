// The chat room: every member holds one bidi stream; every line said goes to
// all of them, in one order (seq). A member's stream has its own queue, so a
// member that reads slowly delays nobody else.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ChatRoomService, JoinResponseSchema } from "../../gen/acme/chat/v1/chat_pb.ts";

type Line = MessageInitShape<typeof JoinResponseSchema>;

/** Lines waiting for one member, and a way to wake its stream. */
class Mailbox {
  readonly #lines: Line[] = [];
  #wake = Promise.withResolvers<void>();
  closed = false;

  put(line: Line): void {
    this.#lines.push(line);
    this.#wake.resolve();
  }

  close(): void {
    this.closed = true;
    this.#wake.resolve();
  }

  async *drain(signal: AbortSignal): AsyncGenerator<Line> {
    const onAbort = (): void => this.close();
    signal.addEventListener("abort", onAbort);
    try {
      for (;;) {
        const line = this.#lines.shift();
        if (line !== undefined) {
          yield line;
        } else if (this.closed) {
          return;
        } else {
          await this.#wake.promise;
          this.#wake = Promise.withResolvers<void>();
        }
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }
}

export function createChatRoom(): ServiceImpl<typeof ChatRoomService> {
  const members = new Set<Mailbox>();
  let seq = 0n;
  const say = (from: string, text: string): void => {
    seq++;
    for (const member of members) {
      member.put({ seq, from, text });
    }
  };

  return {
    async *join(requests, ctx) {
      const input = requests[Symbol.asyncIterator]();
      const first = await input.next();
      if (first.done || first.value.kind.case !== "name" || first.value.kind.value === "") {
        throw new ConnectError("the first message must name the member", Code.InvalidArgument);
      }
      const name = first.value.kind.value;
      const mailbox = new Mailbox();
      members.add(mailbox);
      say("room", `${name} joined`);
      // Read this member's lines while its stream carries everyone's.
      const reading = (async () => {
        try {
          for (let next = await input.next(); !next.done; next = await input.next()) {
            if (next.value.kind.case === "text") {
              say(name, next.value.kind.value);
            }
          }
        } finally {
          members.delete(mailbox);
          mailbox.close();
          say("room", `${name} left`);
        }
      })();
      try {
        yield* mailbox.drain(ctx.signal);
      } finally {
        mailbox.close();
        await reading.catch(() => {});
      }
    },
  };
}
