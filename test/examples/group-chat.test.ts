// Runs examples/group-chat: a room and three members, each a process.
import assert from "node:assert/strict";
import { afterAll, describe, it } from "vitest";
import { nextLine, type ServerProcess, startServer } from "../helpers/run-cli.ts";

const dir = new URL("../../examples/group-chat/", import.meta.url).pathname;
const node = (file: string, ...args: string[]): string[] => [
  process.execPath,
  "--conditions=p2prpc-source",
  `${dir}${file}`,
  ...args,
];

describe("examples/group-chat", { timeout: 60_000 }, () => {
  const processes: ServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
  });

  it("every member sees every line, in one order", async () => {
    const room = await startServer(node("room.ts"));
    processes.push(room);
    const [address] = room.addresses;
    assert.ok(address);
    const names = ["ada", "grace", "linus"];
    const members: ServerProcess[] = [];
    for (const name of names) {
      // READY: the room announced this member, so it hears every later line.
      const member = await startServer(node("member.ts", address, name), { stdin: true });
      processes.push(member);
      members.push(member);
    }
    for (const [i, member] of members.entries()) {
      member.child.stdin?.write(`hello from ${names[i]}\n`);
    }
    const heard = await Promise.all(
      members.map(async (member) => {
        const said: string[] = [];
        while (said.length < names.length) {
          const line = await nextLine(member.lines);
          if (!line.includes(" room: ")) {
            said.push(line);
          }
        }
        return said;
      }),
    );
    const [first] = heard;
    assert.equal(first?.length, 3);
    assert.deepEqual(
      first?.map((line) => line.replace(/^#\d+ /, "")).sort(),
      names.map((name) => `${name}: hello from ${name}`),
    );
    for (const lines of heard) {
      assert.deepEqual(lines, first, "the same lines in the same order, with the same seq");
    }
    // A member whose stdin ends leaves, and the others hear it.
    members[0]?.child.stdin?.end();
    assert.match(await nextLine(members[1]?.lines as AsyncIterator<string>), / room: ada left$/);
  });
});
