/**
 * Test helpers for the QEMU platform: whether QEMU can run here (tests that need it are ignored
 * with the reason in their name, so a machine without QEMU shows why), and a machine that is
 * always closed.
 *
 * @module
 */

import { qemuAvailable } from "./available.ts";
import { type QemuMachine, startQemu } from "./machine.ts";
import type { QemuOptions } from "./options.ts";

const availability = qemuAvailable();

/** Why QEMU tests are ignored here, or null when they run. */
export const QEMU_SKIP_REASON: string | null = availability.ok ? null : availability.reason;

/** Registers a test that needs QEMU: ignored (reason in the name) when QEMU is unavailable. */
export function qemuTest(name: string, fn: (t: Deno.TestContext) => void | Promise<void>): void {
  if (QEMU_SKIP_REASON !== null) {
    console.warn(`QEMU test "${name}" skipped: ${QEMU_SKIP_REASON}`);
  }
  Deno.test({
    name: QEMU_SKIP_REASON === null ? name : `${name} [skipped: ${QEMU_SKIP_REASON}]`,
    ignore: QEMU_SKIP_REASON !== null,
    fn,
  });
}

/** Runs `body` on a fresh machine and always closes it (then waits for QEMU to be reaped). */
export async function withQemu<T>(
  options: QemuOptions,
  body: (m: QemuMachine) => T | Promise<T>,
): Promise<T> {
  const m = startQemu(options);
  try {
    return await body(m);
  } finally {
    m.close();
    await m.exited;
  }
}
