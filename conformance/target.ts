/**
 * Targets: what the conformance suite runs against. A target opens fresh sessions (a controller in
 * its power-on state behind a {@linkcode HostPort}) and may carry a deviation registry: cases it is
 * known to fail, each with the reason and evidence, so a deviation is reported as such and never
 * silently passed.
 *
 * @example The reference controller as a target
 * ```ts
 * import { referenceTarget } from "./target.ts";
 * const target = referenceTarget({ mqes: 255 });
 * const session = target.open();
 * if ((session.host.read32(0x00) & 0xffff) !== 255) throw new Error("MQES");
 * session.close();
 * ```
 *
 * @module
 */

import { NvmeController } from "../controller/controller.ts";
import type { ControllerOptions } from "../controller/options.ts";
import { Machine } from "../platform/machine.ts";
import type { HostPort } from "../platform/ports.ts";

/** Why a target fails a case, with evidence. */
export interface Deviation {
  /** What the target does instead, in one or two sentences. */
  readonly reason: string;
  /** Evidence: the spec text or section, the behaviour observed, where it was seen. */
  readonly evidence: string;
  /** Whether later versions of the target changed it (free text, e.g. "fixed in QEMU 8.1"). */
  readonly status?: string;
}

/** Case id → deviation. */
export type DeviationRegistry = Readonly<Record<string, Deviation>>;

/** One fresh controller behind a HostPort. */
export interface TargetSession {
  /** The port cases drive. */
  readonly host: HostPort;
  /** Releases the session (kills processes, frees memory). Idempotent. */
  close(): void;
  /** Simulates a power loss of the function (volatile state lost, host memory kept; PCI config
   * back to its power-on values). Absent when the target cannot; cases needing it skip. */
  powerLoss?(): void;
  /** PCIe Function Level Reset. Absent when the target cannot. */
  functionLevelReset?(): void;
}

/** Something the suite can run against. */
export interface Target {
  /** Short name for reports, e.g. "reference". */
  readonly name: string;
  /** One line saying what it is. */
  readonly description: string;
  /** Opens a fresh session; the controller is in its power-on state (CC.EN = 0). */
  open(): TargetSession;
  /** Cases this target is known to fail, with reasons. */
  readonly deviations?: DeviationRegistry;
}

/** What a target module (`--target ./module.ts`) must export. */
export interface TargetModule {
  /** Builds the target. */
  readonly createTarget: (options?: Readonly<Record<string, unknown>>) => Target;
}

/** The reference controller in a fresh in-process machine per session. */
export function referenceTarget(
  options: Partial<ControllerOptions> = {},
  name = "reference",
): Target {
  return {
    name,
    description: "nvme-harness reference controller (in-process)",
    open(): TargetSession {
      const machine = new Machine();
      const host = machine.attach(new NvmeController(options));
      return {
        host,
        close() {},
        powerLoss: () => machine.powerLoss(0),
        functionLevelReset: () => machine.functionLevelReset(0),
      };
    },
  };
}
