// The one-line progress display long commands draw on stderr: redrawn in place, only on a
// terminal, never with --quiet, and erased before any real output line so the two never mix.

import type { CliIo } from "./_io.ts";

/** Widest progress line drawn: longer lines would wrap, and `\r` cannot erase a wrapped line. */
export const PROGRESS_COLUMNS = 79;
/** Carriage return and ANSI "erase to end of line": redraws the progress line in place. */
export const ERASE_LINE = "\r\x1b[K";

/** A redrawable stderr status line; every method is a no-op when the line is disabled. */
export interface ProgressLine {
  /** Whether anything is drawn (stderr is a terminal and the run is not quiet). */
  readonly enabled: boolean;
  /** Replaces the line with `text` (cut to {@linkcode PROGRESS_COLUMNS}). */
  update(text: string): void;
  /** Erases the line; call before writing a result line and when the run ends. */
  clear(): void;
}

/**
 * The progress line for a command: drawn only when stderr is a terminal and `quiet` is false,
 * so piped and CI output stays clean.
 *
 * @example
 * ```ts
 * import { progressLine } from "./_progress.ts";
 * let err = "";
 * const p = progressLine({ stdout() {}, stderr: (t) => err += t, stderrIsTerminal: true }, false);
 * p.update("[1/3] queue-wraparound");
 * p.clear();
 * if (!err.includes("[1/3]")) throw new Error("not drawn");
 * ```
 */
export function progressLine(io: CliIo, quiet: boolean): ProgressLine {
  const enabled = io.stderrIsTerminal && !quiet;
  let shown = false;
  return {
    enabled,
    update(text: string): void {
      if (!enabled) return;
      io.stderr(ERASE_LINE + text.slice(0, PROGRESS_COLUMNS));
      shown = true;
    },
    clear(): void {
      if (!enabled || !shown) return;
      io.stderr(ERASE_LINE);
      shown = false;
    },
  };
}
