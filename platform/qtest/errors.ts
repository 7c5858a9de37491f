/**
 * Errors of the QEMU (qtest) platform. Each message says what happened and what to do; when QEMU
 * itself misbehaved (exited, hung, refused a command), the message carries the tail of QEMU's
 * captured stderr so a failure report shows QEMU's own words.
 *
 * @module
 */

import { PlatformError } from "../errors.ts";

/** QEMU is missing, too old, or cannot be run (no `--allow-run`). */
export class QemuUnavailableError extends PlatformError {}

/** QEMU did not start: it exited, or did not open its qtest FIFOs, before the start timeout. */
export class QemuStartError extends PlatformError {}

/** QEMU exited (crashed, was killed) while a qtest command was outstanding. */
export class QemuExitedError extends PlatformError {}

/** QEMU did not answer a qtest command within the watchdog time and was killed. */
export class QemuHangError extends PlatformError {}

/** QEMU answered a qtest command with `FAIL …` or `ERR …`, or with a reply that is not qtest. */
export class QtestProtocolError extends PlatformError {}

/** A qtest command argument is malformed; it was not sent, because QEMU asserts (and dies) on a
 * malformed number or a zero-length `read`. */
export class QtestArgumentError extends PlatformError {}

/** The session was used after `close()`. */
export class QemuClosedError extends PlatformError {}

/** Appends QEMU's stderr (the last lines) to a message, or says it was empty. */
export function withStderr(message: string, stderr: string): string {
  const text = stderr.trim();
  if (text === "") return `${message} (QEMU stderr was empty)`;
  const lines = text.split("\n");
  const tail = lines.slice(-STDERR_TAIL_LINES).join("\n");
  const cut = lines.length > STDERR_TAIL_LINES ? ` (last ${STDERR_TAIL_LINES} lines)` : "";
  return `${message}\nQEMU stderr${cut}:\n${tail}`;
}

/** How many lines of QEMU's stderr a failure message quotes. */
export const STDERR_TAIL_LINES = 20;
