/**
 * The reference NVMe controller: an {@linkcode NvmeFunction} that a {@linkcode Machine} attaches.
 * This file is the top of the class chain — MMIO dispatch, the services command handlers use, and
 * the hooks the queue engine calls into the command set. Below it: the lifecycle
 * (controller_lifecycle.ts: CC/CSTS, resets, shutdown), fetch and completion (queue_engine.ts) and
 * doorbells (doorbell_engine.ts). Commands live in their own files (`admin_*.ts`, `nvm_*.ts`) and
 * are looked up by opcode; arbitration, interrupts and shadow doorbells are units of their own.
 *
 * Doorbells never run the controller inside the MMIO call: they schedule a pass over the queues
 * `doorbellLatencyNs` later, which is how batching and interrupt timing become visible.
 *
 * @example Attach and read VS
 * ```ts
 * import { Machine } from "../platform/machine.ts";
 * import { NvmeController } from "./controller.ts";
 * const m = new Machine();
 * const host = m.attach(new NvmeController());
 * if (host.read32(0x08) !== 0x00020100) throw new Error("VS 2.1");
 * ```
 *
 * @module
 */

import { DOORBELL_BASE } from "../spec/doorbell.ts";
import { AsyncEventType, ErrorEvent, NoticeEvent } from "../spec/async_events.ts";
import { Status, STATUS_DNR as DNR } from "../spec/status.ts";
import { LogPageId } from "../spec/log_page_ids.ts";
import { FeatureId } from "../spec/features.ts";
import { memoryPageSize } from "../spec/registers.ts";
import { NvmOpcode } from "../spec/opcodes.ts";
import { Psdt } from "../spec/sqe.ts";
import { nvmeIdentity, type PciIdentity } from "../platform/identity.ts";
import type { DevicePort, NvmeFunction } from "../platform/ports.ts";
import { type ControllerOptions, resolveOptions } from "./options.ts";
import { RegisterFile } from "./register_file.ts";
import type { Request } from "./request.ts";
import { HOST_RULES } from "./rules.ts";
import { mediaLatencyNs } from "./latency.ts";
import { ADMIN_HANDLERS } from "./admin_handlers.ts";
import { ControllerLifecycle } from "./controller_lifecycle.ts";
import { recordError } from "./admin_log_pages.ts";
import { IO_HANDLERS } from "./io_handlers.ts";
import { NvmSubsystem } from "./subsystem.ts";
import type { Namespace } from "./namespace.ts";
import { ChangedNamespaceLog } from "./changed_ns_log.ts";
import { DataTransfer } from "./data_transfer.ts";
import { Thermal } from "./thermal.ts";
import { KeepAliveMonitor } from "./keep_alive.ts";
import { advertisedSgls } from "./admin_identify.ts";
import { sglWalkerOptionsFromSgls } from "./sgl_walker.ts";

const REGISTER_AREA_END = DOORBELL_BASE;
/** A doorbell register is a dword; CAP.DSTRD spaces them `4 << DSTRD` bytes apart. */
const DOORBELL_WIDTH = 4;
/** MDTS = 0 means "no limit"; the bounce buffer is capped here. */
const UNLIMITED_TRANSFER_BYTES = 32 * 1024 * 1024;
/** AEC bit 8: Namespace Attribute Notices enabled. */
const AEC_NAMESPACE_ATTRIBUTE = 1 << 8;
/** Media-touching NVM opcodes whose completion the latency model delays. */
const MEDIA_OPCODES = new Set<number>([
  NvmOpcode.READ,
  NvmOpcode.WRITE,
  NvmOpcode.COMPARE,
  NvmOpcode.VERIFY,
  NvmOpcode.WRITE_ZEROES,
]);

/** A command handler: returns a status (0 = success) or `PENDING` (request.ts). */
export type CommandHandler = (ctrl: NvmeController, req: Request) => number;

/** The reference controller. */
export class NvmeController extends ControllerLifecycle implements NvmeFunction {
  /** PCI identity (QEMU-like IDs; DSTRD and vectors from the options). */
  readonly identity: PciIdentity;
  /** The NVM subsystem this controller belongs to (namespaces, media). */
  readonly subsystem: NvmSubsystem;
  /** Changed Namespace List for this controller (log page 04h). */
  readonly changedNamespaces: ChangedNamespaceLog = new ChangedNamespaceLog();
  /** Number of I/O queues granted by Set Features Number of Queues (0 until set). */
  grantedIoQueues = { sq: 0, cq: 0 };
  /** Data mover (PRP/SGL walkers), created on attach. */
  transfer!: DataTransfer;
  /** Complete I/O without touching media (latency studies). */
  noopIo: boolean;
  /** Temperature and the Temperature Threshold feature (thermal.ts). */
  readonly thermal: Thermal = new Thermal();
  /** The Keep Alive Timer (keep_alive.ts; runs only when KAS ≠ 0 and the host set KATO). */
  readonly keepAlive: KeepAliveMonitor = new KeepAliveMonitor((kato) =>
    this.keepAliveExpired(kato)
  );

  #page = new Uint8Array(4096);
  #io = new Uint8Array(0);
  /** The last view `ioBuffer` returned (commands of one size reuse it instead of a new view). */
  #ioView = new Uint8Array(0);
  /** MDTS in bytes, fixed by the options: computed once, not per command. */
  readonly #maxTransfer: number;
  /** The latency model adds no media time (the default): skip the per-command lookup. */
  readonly #noMediaLatency: boolean;
  /** CAP.DSTRD as the doorbell decoder uses it (0 under the `doorbell-stride-ignored` mutant). */
  readonly #doorbellStride: number;

  /**
   * Creates a controller; every option has a documented default (see options.ts). Without a
   * `subsystem` the controller gets its own: one private 1 GiB namespace of 512-byte blocks.
   */
  constructor(options: Partial<ControllerOptions> = {}, subsystem?: NvmSubsystem) {
    const o = resolveOptions(options);
    super(o, new RegisterFile(o));
    this.noopIo = o.noopIo;
    this.#noMediaLatency = o.latency.kind === "none";
    this.#maxTransfer = o.mdts === 0
      ? UNLIMITED_TRANSFER_BYTES
      : 2 ** o.mdts * memoryPageSize(o.mpsmin);
    this.subsystem = subsystem ?? new NvmSubsystem({ serial: o.serial, model: o.model });
    this.subsystem.registerController({
      cntlid: o.cntlid,
      notifyNamespaceChanged: (nsids) => this.#namespacesChanged(nsids),
    });
    this.identity = nvmeIdentity({ dstrd: o.dstrd, msixVectors: o.msixVectors });
    this.#doorbellStride = this.mutants["doorbell-stride-ignored"] ? 0 : o.dstrd;
  }

  /** Called by the machine. */
  attach(port: DevicePort): void {
    this.bindPort(port);
    this.keepAlive.attach(port);
    const o = this.options;
    this.transfer = new DataTransfer(
      port,
      o.sgl === "none" ? null : sglWalkerOptionsFromSgls(advertisedSgls(o)),
      this.mutants["prp1-offset-ignored"],
    );
  }

  // ---- services for the command handlers ----

  /** A 4 KiB scratch page for admin data (Identify, log pages). */
  scratchPage(size: number): Uint8Array {
    return size <= this.#page.length ? this.#page.subarray(0, size) : new Uint8Array(size);
  }

  /** The I/O bounce buffer, grown (once) to at least `bytes`. */
  ioBuffer(bytes: number): Uint8Array {
    if (this.#ioView.length === bytes) return this.#ioView;
    if (this.#io.length < bytes) {
      this.#io = new Uint8Array(Math.max(bytes, this.#maxTransfer));
    }
    return this.#ioView = this.#io.subarray(0, bytes);
  }

  /** MDTS in bytes: `2^MDTS` pages of CAP.MPSMIN (MDTS 0 = no limit; capped at 32 MiB here). */
  maxTransferBytes(): number {
    return this.#maxTransfer;
  }

  /** Number of Namespaces (NN). */
  namespaceCount(): number {
    return this.subsystem.maxNamespaces;
  }

  /** The namespace `nsid` if it is attached to this controller (active), else undefined. */
  activeNamespace(nsid: number): Namespace | undefined {
    const ns = this.subsystem.namespace(nsid);
    return ns && ns.isAttached(this.options.cntlid) ? ns : undefined;
  }

  /** True once any I/O queue exists. */
  hasIoQueues(): boolean {
    return this.sqs.some((q, i) => i > 0 && q) || this.cqs.some((q, i) => i > 0 && q);
  }

  /** Volatile Write Cache feature: applies to every namespace's media. */
  setWriteCache(enabled: boolean): void {
    this.subsystem.setWriteCacheEnabled(enabled);
  }

  #namespacesChanged(nsids: number[]): void {
    this.changedNamespaces.addAll(nsids);
    // Namespace Attribute Notices are sent only when enabled in Async Event Config bit 8.
    const aec = this.features.get(FeatureId.ASYNC_EVENT_CONFIG) ?? 0;
    if (this.port && aec & AEC_NAMESPACE_ATTRIBUTE) {
      this.events.enqueue(
        AsyncEventType.NOTICE,
        NoticeEvent.NAMESPACE_ATTRIBUTE_CHANGED,
        LogPageId.CHANGED_NS,
      );
      this.deliverAsyncEvents();
    }
  }

  // ---- MMIO and doorbells ----

  /** BAR0 read: registers below 1000h, doorbells (write-only, read as 0) above. */
  mmioRead(offset: number, _size: 4 | 8): number {
    return offset < REGISTER_AREA_END ? this.regs.read32(offset) : 0;
  }

  /** BAR0 write. */
  mmioWrite(offset: number, size: 4 | 8, value: number): void {
    if (offset < REGISTER_AREA_END) {
      this.regs.write32(offset, size, value, this.registerHooks);
      return;
    }
    if (size === 8) {
      this.hostViolation(
        HOST_RULES.registerWidth,
        `64-bit doorbell write at 0x${offset.toString(16)}`,
      );
      return;
    }
    // The doorbell formula of spec/doorbell.ts (`decodeDoorbell`), inline: no object per write.
    const stride = DOORBELL_WIDTH << this.#doorbellStride;
    const rel = offset - DOORBELL_BASE;
    if (rel % stride !== 0) {
      const message = `write between doorbells at 0x${offset.toString(16)}`;
      this.invalidDoorbell(
        HOST_RULES.doorbellInvalidQueue,
        message,
        ErrorEvent.INVALID_DOORBELL_REGISTER,
      );
      return;
    }
    const index = rel / stride;
    this.doorbell(index >>> 1, (index & 1) === 1, value);
  }

  // ---- the engine's hooks into the command set ----

  /**
   * Looks the opcode up in the admin or NVM table; unknown opcodes are Invalid Command Opcode.
   * An admin command whose PSDT is not PRP is an Invalid Field: on PCIe, PRPs shall be used for
   * all admin commands (Base 2.1 §4.1.1, Figure 91 CDW0.PSDT).
   */
  protected execute(req: Request): number {
    const admin = req.sqid === 0;
    const handler = (admin ? ADMIN_HANDLERS : IO_HANDLERS).get(req.opcode);
    if (!handler) return Status.INVALID_OPCODE | DNR;
    if (admin && req.psdt() !== Psdt.PRP) return Status.INVALID_FIELD | DNR;
    return handler(this, req);
  }

  /** Media latency of a successful data command under the latency model (0 with no-op I/O). */
  protected mediaLatency(req: Request): number {
    if (
      this.#noMediaLatency || req.sqid === 0 || req.status !== 0 ||
      !MEDIA_OPCODES.has(req.opcode) || this.noopIo
    ) {
      return 0;
    }
    const ns = this.activeNamespace(req.nsid);
    const bytes = ns ? ((req.cdw(12) & 0xffff) + 1) * ns.blockSize : 0;
    return mediaLatencyNs(this.options.latency, bytes, req.opcode !== NvmOpcode.READ);
  }

  /** Every error completion goes to the Error Information log (Base 2.1 §5.1.12.1.2). */
  protected recordFailure(req: Request): void {
    recordError(this, req, req.status);
  }

  /** Controller-level reset of the command-set state: granted queues, thermal state. */
  protected resetCommandState(): void {
    this.grantedIoQueues = { sq: 0, cq: 0 };
    this.thermal.reset();
  }
}
