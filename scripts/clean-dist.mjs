// Empties dist/ before a build, so a file removed from src/ is not shipped from an old build.
import { rm } from "node:fs/promises";

await rm(new URL("../dist", import.meta.url), { recursive: true, force: true });
