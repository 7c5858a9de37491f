/**
 * The state of the model-based test (`model_commands.ts`): the model (what the test expects) and
 * the real system (the simulation, the driver's block device), plus the helpers every command
 * uses.
 *
 * @example
 * ```ts
 * import type { Model } from "./model_state.ts";
 * const m: Model = {
 *   blocks: new Map(), driverQids: new Set([1]), created: new Set(), granted: 1, version: 0,
 * };
 * if (m.granted !== 1) throw new Error();
 * ```
 *
 * @module
 */

import type fc from "fast-check";
import type { BlockDevice } from "../driver/block_device.ts";
import { check, type CommandTally } from "./property.ts";
import type { Sim } from "./sim.ts";

/** The model: what the test expects of the system. */
export interface Model {
  /** LBA → version (0: zeros). */
  readonly blocks: Map<number, number>;
  /** I/O queue ids the driver owns. */
  readonly driverQids: ReadonlySet<number>;
  /** Queue ids the test created (CQ and SQ with the same id). */
  readonly created: Set<number>;
  /** I/O queues granted (Number of Queues). */
  readonly granted: number;
  /** Next write version. */
  version: number;
}

/** The system under test. */
export interface Real {
  /** The simulation. */
  readonly sim: Sim;
  /** Block device over the driver. */
  readonly disk: BlockDevice;
  /** Serial and model number found at bring-up. */
  readonly identity: { readonly sn: string; readonly mn: string };
  /** Memory of each created queue pair (CQ, SQ), by id. */
  readonly queueMemory: Map<number, readonly number[]>;
  /** Where the commands the test issues are counted (the run's, or a private one). */
  readonly tally: CommandTally;
}

/** Counts `n` NVMe commands the test issued (for the speed report). */
export function issued(real: Real, n: number): void {
  real.tally.commands += n;
}

/** A command of the model-based test. */
export type ModelCommand = fc.Command<Model, Real>;

/** Runs `cmd` through the block device; a host error is a violation. Returns the status. */
export function completedOk(
  real: Real,
  what: string,
  cmd: Parameters<BlockDevice["exec"]>[0],
): number {
  issued(real, 1);
  const c = real.disk.exec(cmd);
  check(c.hostError === null, `${what}: host error ${c.hostError}`);
  return c.status;
}

/** Frees the memory of a queue pair the test created. */
export function freeQueue(real: Real, qid: number): void {
  for (const addr of real.queueMemory.get(qid) ?? []) real.sim.host.free(addr);
  real.queueMemory.delete(qid);
}

/** Throws when the controller recorded a finding. */
export function noFindings(real: Real, what: string): void {
  real.sim.assertNoFindings(what);
}
