/**
 * The Linux-like NVMe PCIe driver as a {@linkcode DriverModel}: behaves as Linux's
 * `drivers/nvme/host/pci.c` + `core.c` do (see `../shared/reference/linux-driver.md`), with the
 * module parameters as options. Bring-up is in `setup.ts`, the I/O path in `core.ts` and
 * `queue.ts`, data pointers in `data_mapping.ts`, shadow doorbells in `dbbuf.ts`, timeouts and
 * resets in `recovery.ts`.
 *
 * @example Bring up the reference controller and read its first namespace's size
 * ```ts
 * import { Machine } from "../../platform/machine.ts";
 * import { NvmeController } from "../../controller/controller.ts";
 * import { createDriver } from "./driver.ts";
 * const host = new Machine().attach(new NvmeController());
 * const driver = createDriver(host, { cpus: 2 });
 * const info = driver.bringUp();
 * if (info.ioQueues.length !== 2 || info.namespaces[0].blocks === 0) throw new Error();
 * driver.shutdown();
 * ```
 *
 * @module
 */

import type { HostPort } from "../../platform/ports.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import {
  type CompletionCallback,
  type ControllerInfo,
  type DriverCommand,
  DriverError,
  type DriverFactory,
  type DriverModel,
} from "../model.ts";
import { type DriverLogEntry, LinuxCore, type LinuxCtrlState } from "./core.ts";
import { type LinuxDriverOptions, resolveLinuxOptions } from "./options.ts";
import { checkTimeouts, disableDevice, resetController } from "./recovery.ts";
import { handleNamespaceNotice } from "./identify.ts";
import { bringUp } from "./setup.ts";

/** AER completion: event type Notice (Base 2.1 §5.1.2, Figure "Asynchronous Event Type"). */
const AER_TYPE_NOTICE = 2;
/** Notice information: Namespace Attribute Changed. */
const AER_NOTICE_NS_CHANGED = 0;

/** The Linux-like driver. */
export class LinuxDriver implements DriverModel {
  /** Driver name. */
  readonly name = "linux";
  /** Shared state and I/O path (exposed for tests and tracing). */
  readonly core: LinuxCore;
  #aerWork: "none" | "resubmit" | "ns-changed" = "none";

  /** A driver on `host`; options as Linux module parameters (see `options.ts`). */
  constructor(host: HostPort, options: Readonly<Record<string, unknown>> = {}) {
    this.core = new LinuxCore(host, resolveLinuxOptions(options));
    this.core.onAsyncEvent = (dw0, status) => {
      if (status !== 0) return; // aborted (reset) or refused: not resubmitted
      const type = dw0 & 7;
      const info = (dw0 >>> 8) & 0xff;
      this.core.warn(
        `async event: type ${type} info 0x${info.toString(16)} dw0 0x${dw0.toString(16)}`,
      );
      this.#aerWork = type === AER_TYPE_NOTICE && info === AER_NOTICE_NS_CHANGED
        ? "ns-changed"
        : "resubmit";
    };
  }

  /** The resolved options. */
  get options(): Readonly<LinuxDriverOptions> {
    return this.core.options;
  }

  /** Controller state. */
  get state(): LinuxCtrlState {
    return this.core.state;
  }

  /** What the last bring-up found; null before it. */
  get info(): ControllerInfo | null {
    return this.core.info;
  }

  /** Commands in flight (the AER excluded). */
  get inFlight(): number {
    return this.core.inFlight;
  }

  /** The driver's log (what Linux would print to the kernel log). */
  get log(): readonly DriverLogEntry[] {
    return this.core.log;
  }

  /** Brings the controller up; on a live controller this is a reset. */
  bringUp(): ControllerInfo {
    if (this.core.state === "live") return this.reset();
    return bringUp(this.core);
  }

  /** Queues a command (never waits); false when the chosen queue has no free tag. */
  submit(cmd: DriverCommand, done: CompletionCallback): boolean {
    const core = this.core;
    if (core.state !== "live") {
      core.rejectDead(done);
      return true;
    }
    const q = cmd.admin ? core.admin : core.ioQueueFor(cmd);
    if (!q) throw new DriverError("cannot submit I/O: the controller granted no I/O queues");
    return core.submitOn(q, cmd, done);
  }

  /** Rings SQ doorbells a batch left pending (`commit_rqs`). */
  flush(): void {
    for (const q of this.core.io) q.commit();
    this.core.admin?.commit();
  }

  /** Reaps completions already posted (fired vectors and polled queues). */
  processCompletions(): number {
    return this.core.processCompletions();
  }

  /** Waits up to `timeoutNs` for completions; handles timeouts and asynchronous events. */
  wait(timeoutNs: number): number {
    const core = this.core;
    const before = core.completed;
    if (!(timeoutNs > 0)) return core.processCompletions();
    const end = core.host.now() + timeoutNs;
    for (;;) {
      const deadline = Math.min(end, core.nextDeadline);
      if (core.inFlight === 0 && deadline === Infinity) {
        core.processCompletions();
      } else {
        core.waitUntil(() => core.completed > before || this.#aerWork !== "none", deadline);
      }
      this.#runAsyncEventWork();
      checkTimeouts(core);
      if (core.completed > before || core.host.now() >= end) break;
      if (core.inFlight === 0 && end === Infinity) break;
      if (core.state === "dead") break;
    }
    return core.completed - before;
  }

  #runAsyncEventWork(): void {
    const work = this.#aerWork;
    if (work === "none" || this.core.state !== "live") return;
    this.#aerWork = "none";
    try {
      if (work === "ns-changed") handleNamespaceNotice(this.core);
      if (!this.core.aerOutstanding) this.core.submitAsyncEvent(AdminOpcode.ASYNC_EVENT_REQUEST);
    } catch (e) {
      if (!(e instanceof DriverError)) throw e;
      this.core.warn(e.message);
    }
  }

  /** Controller reset: disable (in-flight commands end), then bring-up again. */
  reset(): ControllerInfo {
    return resetController(this.core);
  }

  /** Orderly shutdown: drain, delete SQs then CQs, SHN=normal, wait SHST=complete. */
  shutdown(): void {
    const core = this.core;
    if (core.state === "new" || core.admin === null) return;
    if (core.state !== "dead") disableDevice(core, true);
    core.cancelAll("aborted");
    core.state = "new";
    core.info = null;
  }
}

/** The factory (`--driver linux`). */
export const createDriver: DriverFactory = (
  host: HostPort,
  options?: Readonly<Record<string, unknown>>,
): DriverModel => new LinuxDriver(host, options);
