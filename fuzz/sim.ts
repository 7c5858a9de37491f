/**
 * One fuzz case's simulation: a fresh {@linkcode Machine} (optionally with seeded preemption), the
 * reference controller (or any {@linkcode NvmeFunction} wrapping it, such as the hostile device),
 * and the driver model under test on a {@linkcode GuardedHostPort}, brought up. Plus the checks
 * every driver property shares: no host-obligation findings, and commands that end within a
 * bounded virtual time.
 *
 * @example
 * ```ts
 * import { bootSim } from "./sim.ts";
 * import { createDriver } from "../driver/linux/driver.ts";
 * const sim = bootSim({ name: "linux", factory: createDriver }, { controller: { mqes: 15 } });
 * if (sim.driver.info!.ioQueues[0].depth !== 16) throw new Error();
 * sim.assertNoFindings("after bring-up");
 * ```
 *
 * @module
 */

import { NvmeController } from "../controller/controller.ts";
import type { ControllerOptions } from "../controller/options.ts";
import type { DriverModel } from "../driver/model.ts";
import type { ResolvedDriver } from "../driver/registry.ts";
import { Machine } from "../platform/machine.ts";
import type { NvmeFunction } from "../platform/ports.ts";
import type { SeededPreemptionOptions } from "../platform/preemption.ts";
import { GuardedHostPort, type GuardOptions } from "./guarded_host.ts";
import { PropertyViolation } from "./property.ts";

/** How to build one case's simulation. */
export interface SimOptions {
  /** Controller options (the context's, e.g. mutants, are laid over these by the caller). */
  readonly controller?: Partial<ControllerOptions>;
  /** Seeded preemption at host accesses (default off). */
  readonly preemption?: SeededPreemptionOptions;
  /** Options for the driver factory. */
  readonly driverOptions?: Readonly<Record<string, unknown>>;
  /** Wraps the controller before it is attached (hostile device, device-side mutants). */
  readonly wrap?: (ctrl: NvmeController) => NvmeFunction;
  /** Budgets and MMIO distortion of the driver's host port. */
  readonly guard?: GuardOptions;
  /** Skip bring-up (the property brings the driver up itself). */
  readonly noBringUp?: boolean;
}

/** A built simulation. */
export interface Sim {
  /** The machine. */
  readonly machine: Machine;
  /** The reference controller. */
  readonly controller: NvmeController;
  /** The driver's (guarded) host port. */
  readonly host: GuardedHostPort;
  /** The driver model, brought up unless `noBringUp`. */
  readonly driver: DriverModel;
  /** Throws PropertyViolation when the controller recorded any finding. */
  assertNoFindings(when: string): void;
}

/** At most this many findings are quoted in a message. */
const QUOTED_FINDINGS = 3;

/** One line quoting the first findings of `machine`. */
export function findingsText(machine: Machine): string {
  const all = machine.findings.all();
  const quoted = all.slice(0, QUOTED_FINDINGS).map((f) =>
    `${f.id} (${f.side}, ${f.section}): ${f.message}`
  );
  return `${all.length} finding${all.length === 1 ? "" : "s"}: ${quoted.join("; ")}`;
}

/** Builds and (unless told not to) brings up one case's simulation. */
export function bootSim(driver: ResolvedDriver, options: SimOptions = {}): Sim {
  const machine = new Machine(options.preemption ? { preemption: options.preemption } : {});
  const controller = new NvmeController(options.controller ?? {});
  const inner = machine.attach(options.wrap ? options.wrap(controller) : controller);
  const host = new GuardedHostPort(inner, options.guard);
  const model = driver.factory(host, options.driverOptions ?? {});
  if (!options.noBringUp) model.bringUp();
  return {
    machine,
    controller,
    host,
    driver: model,
    assertNoFindings(when: string): void {
      if (machine.findings.all().length > 0) {
        throw new PropertyViolation(`${when}: ${findingsText(machine)}`);
      }
    },
  };
}

/** `base` with the context's controller options laid over it (mutants are merged, not replaced). */
export function controllerOptions(
  base: Partial<ControllerOptions>,
  overlay: Readonly<Partial<ControllerOptions>> | undefined,
): Partial<ControllerOptions> {
  if (!overlay) return base;
  const mutants = [...(base.mutants ?? []), ...(overlay.mutants ?? [])];
  return { ...base, ...overlay, ...(mutants.length > 0 ? { mutants } : {}) };
}
