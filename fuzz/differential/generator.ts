/**
 * fast-check arbitraries of command sequences that both the reference controller and QEMU 7.2 can
 * receive safely: admin (Identify, Get/Set Features, Get Log Page, Create/Delete I/O queues,
 * Abort, unknown opcodes) and NVM I/O (Read, Write, Write Zeroes, Flush, Dataset Management,
 * Compare, Verify, Write Uncorrectable, unknown opcodes), with valid and invalid parameters and
 * PRP data pointers at various offsets.
 *
 * Never generated, because they hang or crash QEMU 7.2 or leave state a later sequence would see
 * (`reference/qemu-nvme.md` §13): SGLs (the self-referencing segment hangs 7.2), queue or data
 * memory inside BAR0, Doorbell Buffer Config, Format NVM, Namespace Management/Attachment,
 * Sanitize, Asynchronous Event Requests (they stay outstanding across the sequence), deleting
 * I/O SQ 1 (the queue the sequence runs on), Set Features Host Memory Buffer with EHM = 1.
 *
 * @example Twenty commands against a 1 GiB namespace of 512-byte blocks
 * ```ts
 * import fc from "fast-check";
 * import { commandSequence } from "./generator.ts";
 * const seq = fc.sample(commandSequence({ blockSize: 512, nsze: 2 ** 21, mdtsBytes: 2 ** 19 }, 20),
 *   { seed: 1, numRuns: 1 })[0];
 * if (seq.length < 1 || seq.length > 20) throw new Error(String(seq.length));
 * ```
 *
 * @module
 */

import fc from "fast-check";
import type { DiffCommand } from "./commands.ts";
import type { GeneratorConfig } from "./_generator_shared.ts";
import {
  getFeatures,
  getLogPage,
  identify,
  queueCommands,
  setFeatures,
  unknownAdmin,
} from "./generator_admin.ts";
import { nvm } from "./generator_io.ts";

export { dataPointer, type GeneratorConfig, LBA_WINDOW } from "./_generator_shared.ts";

/** One command of either kind. */
export function diffCommand(g: GeneratorConfig): fc.Arbitrary<DiffCommand> {
  return fc.oneof(
    { weight: 3, arbitrary: identify() },
    { weight: 3, arbitrary: getFeatures() },
    { weight: 2, arbitrary: setFeatures() },
    { weight: 3, arbitrary: getLogPage(g.mdtsBytes) },
    { weight: 2, arbitrary: queueCommands() },
    { weight: 1, arbitrary: unknownAdmin() },
    { weight: 12, arbitrary: nvm(g) },
  );
}

/** A sequence of 1..`maxLength` commands. */
export function commandSequence(
  g: GeneratorConfig,
  maxLength: number,
): fc.Arbitrary<DiffCommand[]> {
  return fc.array(diffCommand(g), { minLength: 1, maxLength });
}
