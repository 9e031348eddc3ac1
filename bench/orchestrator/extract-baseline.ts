import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";

/** A baseline commit's code, ready to import. */
export interface Baseline {
  /** The ref as given. */
  readonly ref: string;
  /** The commit it names. */
  readonly commit: string;
  /** Holds the commit's `src/` and `gen/`. */
  readonly dir: string;
}

/**
 * Extracts `src/` and `gen/` of the commit `ref` names into
 * `bench/.baseline/<commit>/` (gitignored; kept for later runs). It sits
 * inside the repository, so its imports of packages resolve to today's
 * `node_modules`: the baseline is the commit's code on today's dependencies.
 *
 * @example
 * ```ts
 * const baseline = await extractBaseline(root, "main~3");
 * process.env.P2PRPC_BENCH_BASELINE_DIR = baseline.dir;
 * ```
 */
export async function extractBaseline(root: string, ref: string): Promise<Baseline> {
  const commit = execFileSync("git", ["rev-parse", "--verify", `${ref}^{commit}`], {
    cwd: root,
    encoding: "utf8",
  }).trim();
  const dir = join(root, "bench", ".baseline", commit);
  if (!existsSync(join(dir, "src", "index.ts"))) {
    const partial = `${dir}.partial`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    const archive = execFileSync("git", ["archive", "--format=tar", commit, "src", "gen"], {
      cwd: root,
      maxBuffer: 256 * 1024 * 1024,
    });
    execFileSync("tar", ["-x", "-C", partial], { input: archive });
    await rename(partial, dir);
  }
  return { ref, commit, dir };
}
