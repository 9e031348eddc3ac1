/**
 * Profiles every Node process it is loaded into, from start to exit, and
 * writes `<pid>.cpuprofile` into `P2PRPC_PROFILE_DIR` (default: the OS's
 * temporary directory). Node refuses `--cpu-prof` in `NODE_OPTIONS`, and the
 * harness starts its client and server processes itself, so this is how
 * both sides of a two-process run get a profile:
 *
 * ```sh
 * P2PRPC_PROFILE_DIR=/tmp/prof NODE_OPTIONS=--import=./bench/profile-each-process.mjs \
 *   npm run bench -- --only=p2prpc-tcp,libp2p-one-stream --workloads=c --rounds=1
 * ```
 *
 * Each profile covers the whole process (start-up and warm-up too), sampled
 * every 200 µs; `summarizeProfile` in `bench/profile-summary.ts` adds one up.
 * A process ended by SIGTERM or SIGINT writes its profile and exits with 0.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { tmpdir } from "node:os";
import { join } from "node:path";

const directory = process.env.P2PRPC_PROFILE_DIR ?? tmpdir();
const session = new Session();
session.connect();
session.post("Profiler.enable");
session.post("Profiler.setSamplingInterval", { interval: 200 });
session.post("Profiler.start");
let written = false;

function writeProfile() {
  if (written) {
    return;
  }
  written = true;
  // A session on the process's own thread answers synchronously, so this
  // also works inside an `exit` listener.
  session.post("Profiler.stop", (error, result) => {
    if (error === null) {
      writeFileSync(join(directory, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    }
  });
}

process.on("exit", writeProfile);
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    writeProfile();
    process.exit(0);
  });
}
