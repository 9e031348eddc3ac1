import { execFileSync } from "node:child_process";
import * as os from "node:os";

/** The machine, runtime and commit a run measured, for reproducing it. */
export interface Environment {
  readonly node: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly commit: string;
}

function gitCommit(cwd: string): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd,
      encoding: "utf8",
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], {
      cwd,
      encoding: "utf8",
    });
    return dirty.trim() === "" ? head : `${head} (src/ modified)`;
  } catch {
    return "unknown";
  }
}

export function describeEnvironment(root: string): Environment {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    commit: gitCommit(root),
  };
}

export function environmentLine(environment: Environment): string {
  return (
    `Node ${environment.node}, ${environment.platform}, ${environment.cores} cores (${environment.cpu}), ` +
    `${environment.memoryGiB} GiB; commit ${environment.commit}.`
  );
}
