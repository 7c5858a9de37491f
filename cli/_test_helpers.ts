/**
 * Test helpers for the command-line tests: a {@linkcode CliIo} that collects what a command
 * writes, a run of one command with its exit code and both streams, and the usage-error shape
 * every command shares (exit 2, one line on stderr, nothing on stdout).
 *
 * @example
 * ```ts
 * import { captureRun } from "./_test_helpers.ts";
 * const r = await captureRun((io) => {
 *   io.stdout("hello\n");
 *   return 0;
 * });
 * if (r.code !== 0 || r.stdout !== "hello\n" || r.stderr !== "") throw new Error();
 * ```
 *
 * @module
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import type { CliIo } from "./_io.ts";

/** A {@linkcode CliIo} that keeps everything written: stdout in `out`, stderr in `err`. */
export interface CapturedIo extends CliIo {
  /** Everything written to stdout so far. */
  out: string;
  /** Everything written to stderr so far. */
  err: string;
}

/** What one command run returned and wrote. */
export interface CapturedRun<C = number> {
  /** The exit code (or, for `--help` and `--list`, the text a command returns instead). */
  readonly code: C;
  /** Everything written to stdout. */
  readonly stdout: string;
  /** Everything written to stderr. */
  readonly stderr: string;
}

/** A capturing {@linkcode CliIo}; progress lines are drawn only when `stderrIsTerminal`. */
export function captureIo(stderrIsTerminal = false): CapturedIo {
  const io: CapturedIo = {
    out: "",
    err: "",
    stderrIsTerminal,
    stdout: (t) => void (io.out += t),
    stderr: (t) => void (io.err += t),
  };
  return io;
}

/** Runs `command` on a capturing {@linkcode CliIo} and returns its code and both streams. */
export async function captureRun<C>(
  command: (io: CliIo) => C | Promise<C>,
  stderrIsTerminal = false,
): Promise<CapturedRun<C>> {
  const io = captureIo(stderrIsTerminal);
  const code = await command(io);
  return { code, stdout: io.out, stderr: io.err };
}

/**
 * Asserts a usage error as the command line reports it: exit 2, one line on stderr containing
 * `text`, nothing on stdout. `label` names the run in a failure message.
 */
export function assertUsageExit(run: CapturedRun<unknown>, label: string, text: string): void {
  assertEquals(run.code, 2, `${label}: ${run.stderr}`);
  assertEquals(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
  assertStringIncludes(run.stderr, text);
  assertEquals(run.stdout, "");
}
