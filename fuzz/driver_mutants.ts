/**
 * Seeded driver bugs, built around any driver model without touching its source — so the fuzz
 * properties can be shown to catch the kind of mistake a driver author makes:
 *
 * - at the MMIO boundary ({@linkcode withMmioBug}): a CQ head doorbell never written, an SQ tail
 *   doorbell one entry too far;
 * - at the driver-model boundary ({@linkcode withCompletionBug}): a completion delivered twice,
 *   a Flush completed without being sent, an error status reported as success.
 *
 * @example
 * ```ts
 * import { DRIVER_BUGS, withDriverBug } from "./driver_mutants.ts";
 * import { createDriver } from "../driver/linux/driver.ts";
 * const buggy = withDriverBug(createDriver, "completion-twice");
 * if (typeof buggy !== "function" || !DRIVER_BUGS.includes("flush-ignored")) throw new Error();
 * ```
 *
 * @module
 */

import {
  blankCompletion,
  type CompletionCallback,
  type ControllerInfo,
  type DriverCommand,
  type DriverCompletion,
  type DriverFactory,
  type DriverModel,
} from "../driver/model.ts";
import type { HostPort } from "../platform/ports.ts";
import { decodeDoorbell } from "../spec/doorbell.ts";
import { NvmOpcode } from "../spec/opcodes.ts";
import { RegisterOffset } from "../spec/registers.ts";
import { GuardedHostPort, type MmioDistortion } from "./guarded_host.ts";

/** The seeded driver bugs. */
export const DRIVER_BUGS = [
  "cq-doorbell-never-written",
  "sq-tail-one-too-far",
  "completion-twice",
  "flush-ignored",
  "status-ignored",
] as const;

/** A seeded driver bug's id. */
export type DriverBug = typeof DRIVER_BUGS[number];

/** CAP.DSTRD is CAP bits 35:32 (Base 2.1 §3.1.4.1). */
const CAP_DSTRD_SHIFT = 32n;
const CAP_DSTRD_MASK = 0xfn;

/** A factory whose driver's 32-bit MMIO writes go through `distort` (built once CAP is read). */
export function withMmioBug(
  factory: DriverFactory,
  distort: (dstrd: number) => MmioDistortion,
): DriverFactory {
  return (host: HostPort, options?: Readonly<Record<string, unknown>>) => {
    const dstrd = Number((host.read64(RegisterOffset.CAP) >> CAP_DSTRD_SHIFT) & CAP_DSTRD_MASK);
    const port = new GuardedHostPort(host, {
      deadlineNs: Number.MAX_SAFE_INTEGER,
      maxAccesses: Number.POSITIVE_INFINITY,
      mmioWrite: distort(dstrd),
    });
    return factory(port, options);
  };
}

/** Rewrites what a driver model reports, per command. */
export interface CompletionBug {
  /** Replaces `submit` for I/O commands (admin commands pass through). */
  submit(inner: DriverModel, cmd: DriverCommand, done: CompletionCallback): boolean;
  /** Runs from processCompletions/wait: completions the bug holds back. */
  deliver?(): number;
}

/** A driver model whose I/O completions go through `bug`. */
class BuggyModel implements DriverModel {
  constructor(readonly inner: DriverModel, readonly bug: CompletionBug) {}
  get name(): string {
    return this.inner.name;
  }
  get info(): ControllerInfo | null {
    return this.inner.info;
  }
  get inFlight(): number {
    return this.inner.inFlight;
  }
  bringUp(): ControllerInfo {
    return this.inner.bringUp();
  }
  submit(cmd: DriverCommand, done: CompletionCallback): boolean {
    return cmd.admin ? this.inner.submit(cmd, done) : this.bug.submit(this.inner, cmd, done);
  }
  flush(): void {
    this.inner.flush();
  }
  processCompletions(): number {
    return (this.bug.deliver?.() ?? 0) + this.inner.processCompletions();
  }
  wait(timeoutNs: number): number {
    const held = this.bug.deliver?.() ?? 0;
    return held > 0 ? held : this.inner.wait(timeoutNs);
  }
  reset(): ControllerInfo {
    return this.inner.reset();
  }
  shutdown(): void {
    this.inner.shutdown();
  }
}

/** A factory whose driver's I/O completions go through the bug `make()` builds per driver. */
export function withCompletionBug(
  factory: DriverFactory,
  make: () => CompletionBug,
): DriverFactory {
  return (host, options) => new BuggyModel(factory(host, options), make());
}

const SUCCESS: DriverCompletion = blankCompletion({ sqid: -1 });

/** `factory` with seeded bug `bug`. */
export function withDriverBug(factory: DriverFactory, bug: DriverBug): DriverFactory {
  switch (bug) {
    case "cq-doorbell-never-written":
      // Completions are consumed but the controller is never told: the CQ fills up.
      return withMmioBug(factory, (dstrd) => (offset, value) => {
        const db = decodeDoorbell(offset, dstrd);
        return db !== null && db.isCq && db.qid > 0 ? null : value;
      });
    case "sq-tail-one-too-far":
      return withMmioBug(factory, (dstrd) => (offset, value) => {
        const db = decodeDoorbell(offset, dstrd);
        return db !== null && !db.isCq && db.qid > 0 ? value + 1 : value;
      });
    case "completion-twice":
      return withCompletionBug(factory, () => ({
        submit: (inner, cmd, done) =>
          inner.submit(cmd, (c) => {
            done(c);
            done(c);
          }),
      }));
    case "flush-ignored":
      return withCompletionBug(factory, () => {
        const held: CompletionCallback[] = [];
        return {
          submit(inner, cmd, done) {
            if (cmd.opcode !== NvmOpcode.FLUSH) return inner.submit(cmd, done);
            held.push(done); // "completed" without reaching the device
            return true;
          },
          deliver() {
            const n = held.length;
            for (const done of held.splice(0)) done({ ...SUCCESS });
            return n;
          },
        };
      });
    case "status-ignored":
      return withCompletionBug(factory, () => ({
        submit: (inner, cmd, done) =>
          inner.submit(
            cmd,
            (c) => done(c.hostError === null ? { ...c, status: 0, dnr: false } : c),
          ),
      }));
  }
}
