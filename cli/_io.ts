// Where the command line writes: stdout and stderr as interfaces, so `main()` runs in-process in
// tests with its output captured, and so commands can stream lines while they work.

/** The command line's output streams. Text is written exactly as given (no newline added). */
export interface CliIo {
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Standard error is a terminal (progress lines are drawn only then). */
  readonly stderrIsTerminal: boolean;
}

const encoder = new TextEncoder();

function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
}

/** The process's own stdout and stderr, written synchronously (lines appear while a run goes). */
export function processIo(): CliIo {
  return {
    stdout: (text) => writeAll(Deno.stdout, text),
    stderr: (text) => writeAll(Deno.stderr, text),
    stderrIsTerminal: Deno.stderr.isTerminal(),
  };
}
