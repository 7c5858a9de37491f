/**
 * Mutants: proof that every fuzz property can fail. Each mutant is a seeded bug — in the
 * reference controller (its `mutants` option, controller/mutants.ts), in a driver
 * (`driver_mutants.ts`), in the PRP builder, or in a `need_event` implementation — together with
 * the property that must kill it. {@linkcode runMutant} runs that property against the mutant and
 * reports whether it failed, how long it took and how small the shrunk counterexample is.
 *
 * @example
 * ```ts
 * import { FUZZ_MUTANTS, runMutant } from "./mutants.ts";
 * import { resolveDriver } from "../driver/registry.ts";
 * const m = FUZZ_MUTANTS.find((x) => x.id === "need-event:linux-inclusive")!;
 * const r = runMutant(m, await resolveDriver("linux"), { seed: 1 });
 * if (r.status !== "fail") throw new Error("the need-event property kills it");
 * ```
 *
 * @module
 */

import type { MutantId } from "../controller/mutants.ts";
import type { ResolvedDriver } from "../driver/registry.ts";
import { needEventLinux, needEventSpdk } from "../spec/doorbell.ts";
import { Psdt } from "../spec/sqe.ts";
import { type DriverBug, withDriverBug } from "./driver_mutants.ts";
import { needEventProperty } from "./prop_need_event.ts";
import { type BuilderFactory, linuxBuilder, prpBuilderProperty } from "./prop_prp_builder.ts";
import { propertyByName } from "./properties.ts";
import type { FuzzProperty, PropertyContext } from "./property.ts";
import { type PropertyResult, runProperty } from "./runner.ts";

/** One seeded bug and the property that must catch it. */
export interface FuzzMutant {
  /** Id, e.g. `controller:cq-phase-not-inverted` or `driver:flush-ignored`. */
  readonly id: string;
  /** Where the bug lives. */
  readonly kind: "controller" | "driver" | "prp-builder" | "need-event";
  /** The bug, in one line. */
  readonly description: string;
  /** Name of the property that kills it. */
  readonly killedBy: string;
  /** Cases the property gets to find it (its default budget for this mutant). */
  readonly runs: number;
  /** The property (a variant for pure properties) and context with the bug in place. */
  prepare(driver: ResolvedDriver): {
    readonly property: FuzzProperty;
    readonly ctx: Omit<PropertyContext, "seed" | "runs" | "replayPath">;
  };
}

const PAGE = 4096;
const PRPS_PER_PAGE = PAGE / 8;
const SQE_PRP1 = 24;
const SQE_PRP2 = 32;
const PSDT_SHIFT = 6;
const U16 = 0xffff;

function named(name: string): FuzzProperty {
  const p = propertyByName(name);
  if (!p) throw new Error(`no property ${name}`);
  return p;
}

function controllerMutant(
  id: MutantId,
  killedBy: string,
  runs: number,
  description: string,
): FuzzMutant {
  return {
    id: `controller:${id}`,
    kind: "controller",
    description,
    killedBy,
    runs,
    prepare: (driver) => ({
      property: named(killedBy),
      ctx: { driver, controller: { mutants: [id] } },
    }),
  };
}

function driverMutant(
  bug: DriverBug,
  killedBy: string,
  runs: number,
  description: string,
): FuzzMutant {
  return {
    id: `driver:${bug}`,
    kind: "driver",
    description,
    killedBy,
    runs,
    prepare: (driver) => ({
      property: named(killedBy),
      ctx: {
        driver: { name: `${driver.name}+${bug}`, factory: withDriverBug(driver.factory, bug) },
      },
    }),
  };
}

/** A PRP builder variant: the real one, then `corrupt` applied to the SQE and its lists. */
function builderVariant(
  corrupt: (sqe: DataView, length: number, mem: PrpMemory) => void,
): BuilderFactory {
  return (host) => {
    const real = linuxBuilder(host);
    return {
      map(sqe, data, length, sgl, threshold, iod) {
        const outcome = real.map(sqe, data, length, sgl, threshold, iod);
        if (outcome === "prp" && (sqe.getUint8(1) >>> PSDT_SHIFT) === Psdt.PRP) {
          corrupt(sqe, length, {
            read: (a) => host.memReadU64(a),
            write: (a, v) => host.memWriteU64(a, v),
          });
        }
        return outcome;
      },
    };
  };
}

interface PrpMemory {
  read(addr: number): number;
  write(addr: number, value: number): void;
}

function builderMutant(id: string, description: string, factory: BuilderFactory): FuzzMutant {
  return {
    id: `prp-builder:${id}`,
    kind: "prp-builder",
    description,
    killedBy: "prp-builder",
    runs: 300,
    prepare: () => ({ property: prpBuilderProperty(factory), ctx: {} }),
  };
}

/** Every mutant. */
export const FUZZ_MUTANTS: readonly FuzzMutant[] = Object.freeze([
  {
    id: "need-event:linux-inclusive",
    kind: "need-event",
    description: "Linux need_event rings when eventIdx == new too (off by one: <= for <)",
    killedBy: "need-event",
    runs: 2000,
    prepare: () => ({
      property: needEventProperty({
        linux: (ev, next, old) => ((next - ev - 1) & U16) <= ((next - old) & U16),
        spdk: needEventSpdk,
      }),
      ctx: {},
    }),
  },
  {
    id: "need-event:spdk-exclusive",
    kind: "need-event",
    description: "SPDK need_event written with Linux's half-open window (never rings at new)",
    killedBy: "need-event",
    runs: 2000,
    prepare: () => ({
      property: needEventProperty({ linux: needEventLinux, spdk: needEventLinux }),
      ctx: {},
    }),
  },
  builderMutant(
    "prp-list-not-chained",
    "a full PRP list page keeps a data entry in its last slot instead of chaining",
    builderVariant((sqe, length, mem) => {
      const prp1 = Number(sqe.getBigUint64(SQE_PRP1, true));
      const listed = Math.ceil((length - (PAGE - (prp1 % PAGE))) / PAGE);
      if (listed <= PRPS_PER_PAGE) return;
      const list = Number(sqe.getBigUint64(SQE_PRP2, true));
      const lastSlot = list + PAGE - 8;
      mem.write(lastSlot, mem.read(mem.read(lastSlot))); // the moved entry, not the chain pointer
    }),
  ),
  builderMutant(
    "prp1-offset-dropped",
    "PRP1 is the page base: the buffer's offset into its first page is lost",
    builderVariant((sqe) => {
      const prp1 = Number(sqe.getBigUint64(SQE_PRP1, true));
      sqe.setBigUint64(SQE_PRP1, BigInt(prp1 - (prp1 % PAGE)), true);
    }),
  ),
  driverMutant(
    "cq-doorbell-never-written",
    "queue-wraparound",
    100,
    "I/O CQ head doorbells are never written",
  ),
  driverMutant(
    "sq-tail-one-too-far",
    "queue-wraparound",
    100,
    "SQ tail doorbells are written one entry too far",
  ),
  driverMutant(
    "completion-twice",
    "queue-wraparound",
    100,
    "every I/O completion callback runs twice",
  ),
  driverMutant(
    "flush-ignored",
    "data-integrity",
    300,
    "Flush completes without reaching the device",
  ),
  driverMutant(
    "status-ignored",
    "hostile-device",
    100,
    "CQE error statuses are reported as success",
  ),
  controllerMutant(
    "cq-phase-not-inverted",
    "queue-wraparound",
    100,
    "CQ phase tag not inverted on wrap",
  ),
  controllerMutant(
    "cqe-sq-head-off-by-one",
    "queue-wraparound",
    100,
    "CQE SQ head one past the head",
  ),
  controllerMutant("rdy-without-enable", "cc-csts", 100, "CSTS.RDY set by a CC write with EN = 0"),
  controllerMutant("rdy-never-clears", "cc-csts", 300, "CSTS.RDY stays 1 after CC.EN = 0"),
  controllerMutant("shutdown-never-completes", "cc-csts", 100, "CSTS.SHST never reaches 10b"),
  controllerMutant(
    "write-data-dropped",
    "data-integrity",
    100,
    "Write completes without storing data",
  ),
  controllerMutant(
    "flush-not-durable",
    "data-integrity",
    300,
    "Flush does not make cached data durable",
  ),
  controllerMutant(
    "event-idx-never-updated",
    "driver-under-preemption",
    100,
    "EventIdx never written",
  ),
  controllerMutant(
    "prp1-offset-ignored",
    "driver-under-preemption",
    100,
    "transfers start at PRP1's page base",
  ),
  controllerMutant(
    "create-sq-invalid-qid-status",
    "model-commands",
    100,
    "Create I/O SQ bad QID → Invalid Field",
  ),
]);

/** Options of {@linkcode runMutant}. */
export interface MutantRunOptions {
  /** fast-check seed. */
  readonly seed: number;
  /** Cases (default: the mutant's budget). */
  readonly runs?: number;
  /** Wall-clock limit in milliseconds. */
  readonly timeLimitMs?: number;
}

/** Runs the killing property against mutant `m` ("fail" means killed). */
export function runMutant(
  m: FuzzMutant,
  driver: ResolvedDriver,
  options: MutantRunOptions,
): PropertyResult {
  const { property, ctx } = m.prepare(driver);
  return runProperty(property, ctx, {
    seed: options.seed,
    runs: options.runs ?? m.runs,
    timeLimitMs: options.timeLimitMs,
  });
}
