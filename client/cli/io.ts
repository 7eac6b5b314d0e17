import { clientError } from "../../sdk/client-errors";

/** Where the CLI reads and writes: the process in `main.ts`, buffers in tests. */
export interface CliDeps {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /**
   * Asks for a secret without echoing it. Used only when stdin is a terminal; `main.ts` passes a
   * raw-mode prompt on the process's terminal.
   */
  promptSecret?: (question: string) => Promise<string>;
}

/** Reads all of a (piped) stream as UTF-8. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * A prompt that reads a line from a terminal in raw mode and echoes nothing. Backspace edits,
 * Ctrl-C and Ctrl-D cancel (CANCELLED).
 */
export function terminalSecretPrompt(
  input: NodeJS.ReadStream,
  output: { write(chunk: string): unknown },
): (question: string) => Promise<string> {
  return (question) =>
    new Promise<string>((resolve, reject) => {
      output.write(question);
      let value = "";
      const wasRaw = input.isRaw;
      input.setRawMode(true);
      input.setEncoding("utf8");
      input.resume();
      const finish = (err?: Error) => {
        input.off("data", onData);
        input.setRawMode(wasRaw);
        input.pause();
        output.write("\n");
        if (err) reject(err);
        else resolve(value);
      };
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === "\r" || ch === "\n") return finish();
          if (ch === "\u0003" || ch === "\u0004")
            return finish(clientError("CANCELLED", "Cancelled at the prompt; nothing was done."));
          if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
          else if (ch >= " ") value += ch;
        }
      };
      input.on("data", onData);
    });
}
