/**
 * The controller lifecycle (Base 2.1 §3.5 initialization, §3.6 shutdown, §3.7 resets): what the
 * register file's CC/NSSR hooks do — enable (admin queues, CSTS.RDY after the ready delay),
 * disable (controller reset, RDY falling after the disable delay), normal and abrupt shutdown
 * (SHST), NVM Subsystem Reset, FLR and power loss, Controller Fatal Status, and the Keep Alive
 * timeout. {@linkcode NvmeController} (controller.ts) extends it with MMIO dispatch and the
 * command set.
 *
 * @module
 */

import type { ResetKind } from "../platform/ports.ts";
import type { EventHandle } from "../platform/scheduler.ts";
import { CSTS, CstsBit, encodeRegister, ShutdownStatus } from "../spec/registers.ts";
import type { KeepAliveMonitor } from "./keep_alive.ts";
import { KEEP_ALIVE_TIMEOUT_RULE } from "./keep_alive.ts";
import type { ControllerOptions } from "./options.ts";
import { QueueEngine } from "./queue_engine.ts";
import type { RegisterFile, RegisterHooks } from "./register_file.ts";
import { DEVICE_RULES, HOST_RULES } from "./rules.ts";
import type { NvmSubsystem } from "./subsystem.ts";

const { RDY: CSTS_RDY, CFS: CSTS_CFS, NSSRO: CSTS_NSSRO } = CstsBit;
/** CSTS.SHST (bits 3:2) with the value `shst` (a {@linkcode ShutdownStatus}). */
const cstsShst = (shst: number) => Number(encodeRegister(CSTS, { shst }));
const CSTS_SHST_MASK = cstsShst(ShutdownStatus.OCCURRING | ShutdownStatus.COMPLETE);
const CSTS_SHST_OCCURRING = cstsShst(ShutdownStatus.OCCURRING);
const CSTS_SHST_COMPLETE = cstsShst(ShutdownStatus.COMPLETE);
const FATAL_RULE = DEVICE_RULES.fatalStatus;
/** An abrupt shutdown takes this fraction of the normal shutdown delay. */
const ABRUPT_SHUTDOWN_DIVISOR = 10;

/** CC/CSTS state machine, resets and fatal status; see the module notes. */
export abstract class ControllerLifecycle extends QueueEngine {
  /** The NVM subsystem this controller belongs to (namespaces, media). */
  abstract readonly subsystem: NvmSubsystem;
  /** The Keep Alive Timer (stopped by every controller reset). */
  abstract readonly keepAlive: KeepAliveMonitor;

  /** The hooks the register file calls on CC, NSSR and INTMS/INTMC writes. */
  protected readonly registerHooks: RegisterHooks;
  #readyTimer: EventHandle | null = null;
  #resetTimer: EventHandle | null = null;
  #shutdownTimer: EventHandle | null = null;
  /** A shutdown was requested in the CC write that cleared EN: the reset must leave SHST alone. */
  #shutdownWithReset = false;

  /** Creates the lifecycle over the engine for `options` and `regs`. */
  constructor(options: ControllerOptions, regs: RegisterFile) {
    super(options, regs);
    this.registerHooks = {
      enable: () => this.#enable(),
      enableFailed: (reason) => {
        // A reset still in progress completes first, as for an accepted enable; otherwise its
        // timer would later clear the CFS this refusal sets (found by the cc-csts property).
        this.#finishPendingReset();
        this.#endShutdownWithReset();
        this.#enableRefused(`enable refused: ${reason}`);
      },
      disable: () => this.#disable(),
      shutdown: (abrupt) => this.#shutdown(abrupt),
      subsystemReset: () => this.#subsystemReset(),
      interruptMaskChanged: () => this.updateIntx(),
      violation: (rule, message) => this.hostViolation(HOST_RULES[rule], message),
    };
  }

  /** Controller state outside the engine that a controller-level reset returns to defaults. */
  protected abstract resetCommandState(): void;

  /** EN set again before RDY cleared: the reset in progress completes first (Base 2.1 §3.5.1). */
  #finishPendingReset(): void {
    if (this.#resetTimer === null) return;
    if (this.regs.csts & CSTS_RDY) {
      this.hostViolation(HOST_RULES.reenableBeforeReadyClear, "CC.EN set while CSTS.RDY = 1");
    }
    this.#completeReset();
  }

  #enable(): void {
    this.#finishPendingReset();
    this.#endShutdownWithReset();
    const [sqSize, cqSize] = this.regs.adminQueueSizes();
    this.createCq(0, this.regs.acq, cqSize, true, 0);
    this.createSq(0, this.regs.asq, sqSize, 0, 0);
    this.#readyTimer = this.port.schedule(this.options.readyDelayNs, () => {
      this.#readyTimer = null;
      if (this.regs.enabled && !(this.regs.csts & CSTS_CFS)) {
        this.regs.setCsts(CSTS_RDY, CSTS_RDY);
        const t = this.port.trace;
        if (t.enabled) t.emit({ type: "mmio_start_success" });
      }
    });
  }

  /**
   * CC.EN 0→1 leaves shutdown behind: a shutdown still reported (or in progress, requested with
   * the last reset) is over, and SHST reads 00b again (Base 2.1 §3.1.4.6).
   */
  #endShutdownWithReset(): void {
    if (this.#shutdownTimer !== null) this.port.cancel(this.#shutdownTimer);
    this.#shutdownTimer = null;
    this.#shutdownWithReset = false;
    this.regs.setCsts(CSTS_SHST_MASK, 0);
  }

  #enableRefused(reason: string): void {
    const t = this.port.trace;
    if (t.enabled) t.emit({ type: "err_startfail" });
    this.hostViolation(HOST_RULES.enableRefused, reason);
    this.regs.setCsts(CSTS_CFS, CSTS_CFS);
  }

  /**
   * Controller Fatal Status for an internal failure the controller cannot tie to one command (an
   * SQE fetch or CQE post refused by the IOMMU, Base 2.1 §9 error recovery): the host must reset.
   */
  protected fatal(reason: string): void {
    const t = this.port.trace;
    if (t.enabled) t.emit({ type: "err_cfs" });
    this.port.findings.report(FATAL_RULE, reason, this.port.functionIndex);
    this.regs.setCsts(CSTS_CFS, CSTS_CFS);
  }

  /** Controller-level reset state (Base 2.1 §3.7.2): queues, events, shadow config, features. */
  #resetControllerState(): void {
    this.resetQueueState();
    this.resetCommandState();
    this.keepAlive.stop();
    for (const timer of [this.#readyTimer, this.#shutdownTimer]) {
      if (timer !== null) this.port.cancel(timer);
    }
    this.#readyTimer = null;
    this.#shutdownTimer = null;
  }

  /**
   * The end of a controller reset: RDY, CFS and SHST return to their reset values — except SHST
   * when the same CC write asked for a shutdown, which then reports its own progress.
   */
  #completeReset(): void {
    if (this.#resetTimer !== null) this.port.cancel(this.#resetTimer);
    this.#resetTimer = null;
    const shst = this.#shutdownWithReset ? 0 : CSTS_SHST_MASK;
    this.regs.setCsts(CSTS_RDY | CSTS_CFS | shst, 0);
  }

  #disable(): void {
    this.#resetControllerState();
    const t = this.port.trace;
    if (t.enabled) t.emit({ type: "mmio_stopped" });
    if (this.#resetTimer !== null) this.port.cancel(this.#resetTimer);
    this.#resetTimer = null;
    // The host learns the reset finished when it reads RDY = 0. If RDY already reads 0 (the
    // enable had failed, or never completed), the reset must look finished now; the delay only
    // models RDY falling from 1.
    if (!(this.regs.csts & CSTS_RDY)) {
      this.#completeReset();
      return;
    }
    if (this.mutants["rdy-never-clears"]) return; // mutant: the reset never reports completion
    this.#resetTimer = this.port.schedule(this.options.disableDelayNs, () => {
      this.#resetTimer = null;
      this.#completeReset();
    });
  }

  #shutdown(abrupt: boolean): void {
    // Called after `#disable` when SHN came with EN 1→0 (Base 2.1 §3.1.4.5): reset and shutdown.
    this.#shutdownWithReset = !this.regs.enabled;
    this.regs.setCsts(CSTS_SHST_MASK, CSTS_SHST_OCCURRING);
    const t = this.port.trace;
    if (t.enabled) t.emit({ type: "mmio_shutdown_set" });
    const o = this.options;
    const delay = abrupt
      ? Math.ceil(o.shutdownDelayNs / ABRUPT_SHUTDOWN_DIVISOR)
      : o.shutdownDelayNs;
    if (this.#shutdownTimer !== null) this.port.cancel(this.#shutdownTimer);
    this.#shutdownTimer = this.port.schedule(delay, () => {
      this.#shutdownTimer = null;
      // A normal shutdown makes cached data durable first (Base 2.1 §3.6.1).
      if (!abrupt) this.subsystem.flushAll();
      if (this.mutants["shutdown-never-completes"]) return; // mutant: SHST stays 01b
      this.regs.setCsts(CSTS_SHST_MASK, CSTS_SHST_COMPLETE);
    });
  }

  /** Keep Alive Timeout (Base 2.1 §3.9): the host's fault; the controller sets CFS. */
  protected keepAliveExpired(katoMs: number): void {
    this.hostViolation(KEEP_ALIVE_TIMEOUT_RULE, `no Keep Alive within KATO ${katoMs} ms`);
    this.regs.setCsts(CSTS_CFS, CSTS_CFS);
  }

  #subsystemReset(): void {
    this.reset("flr");
    this.regs.setCsts(CSTS_NSSRO, CSTS_NSSRO);
  }

  /** FLR or power loss: everything back to power-on state; a power loss also drops cached data. */
  reset(kind: ResetKind): void {
    this.#shutdownWithReset = false;
    this.#resetControllerState();
    if (this.#resetTimer !== null) this.port.cancel(this.#resetTimer);
    this.#resetTimer = null;
    this.regs.resetForSubsystem();
    if (kind === "power-loss") this.subsystem.powerLoss();
  }
}
