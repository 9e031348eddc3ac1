import { defineConfig } from "vitest/config";

export default defineConfig({
  ssr: {
    resolve: {
      // Imports of the package itself ("p2prpc") resolve to src/, as with
      // `node --conditions=p2prpc-source` (package.json's exports map).
      conditions: ["p2prpc-source", "module", "node", "development|production"],
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    // Child processes, one per test file, two at a time: see CONTRIBUTING.md.
    pool: "forks",
    maxWorkers: 2,
    // A stall fails its test instead of hanging the run; tests that need
    // longer say so with their own `{ timeout }`.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    coverage: {
      // `npm run coverage`: a table here, an HTML report and a JSON summary in coverage/.
      provider: "v8",
      include: ["src/**/*.ts"],
      reporter: [["text", { maxCols: 120 }], "html", "json-summary"],
      reportsDirectory: "coverage",
    },
    typecheck: {
      // The type tests (test/types/*.test-d.ts) are checked, never run, by
      // `tsc` over the project's tsconfig.json, in the same `npm test`.
      enabled: true,
      include: ["test/types/**/*.test-d.ts"],
      tsconfig: "tsconfig.json",
    },
  },
});
