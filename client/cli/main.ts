import { terminalSecretPrompt } from "./io";
import { run } from "./program";

// Parses the process's command line, runs it, and exits with its code. Everything else lives in
// program.ts so that tests run the same commands in-process.
run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  promptSecret: process.stdin.isTTY ? terminalSecretPrompt(process.stdin, process.stderr) : undefined,
}).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.stderr.write("error [UNEXPECTED]: the command failed unexpectedly.\n");
    process.exitCode = 1;
  },
);
