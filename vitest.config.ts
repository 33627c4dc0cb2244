import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Tests import the package by name, as users do, but from source.
    alias: { mixdim: fileURLToPath(new URL("./ts/index.ts", import.meta.url)) },
  },
  test: {
    // Native addons are not safe in worker_threads (vitest-dev/vitest#5047).
    pool: "forks",
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
  },
});
