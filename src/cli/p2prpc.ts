#!/usr/bin/env node
// The `p2prpc` command: a grpcurl for peers. See docs/CLI.md.
import { Command, CommanderError } from "commander";
import { callCommand } from "./call-command.ts";
import { EXIT_USAGE } from "./exit-codes.ts";
import { healthCommand } from "./health-command.ts";
import { idCommand } from "./id-command.ts";
import { describeCommand, listCommand } from "./inspect-commands.ts";
import { pingCommand } from "./ping-command.ts";
import { serveCommand } from "./serve-command.ts";

const program = new Command("p2prpc")
  .description("call, inspect and serve p2prpc services over libp2p")
  .exitOverride()
  .showHelpAfterError("(add --help for usage and an example)")
  .addHelpText(
    "after",
    `
Example:
  p2prpc list /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…`,
  );
for (const command of [
  idCommand(),
  listCommand(),
  describeCommand(),
  callCommand(),
  healthCommand(),
  pingCommand(),
  serveCommand(),
]) {
  program.addCommand(command.exitOverride());
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) {
    throw error;
  }
  // --help and --version exit 0; usage errors exit 64 (commander printed them).
  process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
}
