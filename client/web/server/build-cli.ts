/** `npm run build:web` (and `npm install`): builds the web portal unless its build is current. */
import { ensureWebBuilt } from "./build";

ensureWebBuilt({ force: process.argv.includes("--force") }).then(
  (built) => {
    if (!built) process.stdout.write("web portal: build is current (client/web/dist)\n");
  },
  (err: unknown) => {
    process.stderr.write(`web portal: build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
