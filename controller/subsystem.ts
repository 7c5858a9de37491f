/**
 * The NVM subsystem of the reference controller: identity (NQN, serial, model, firmware
 * revision), the namespaces it owns, and the controllers (each its own PCIe function) they are
 * attached to. Implements the state behind Namespace Management (Base 2.1 §5.1.21) and Namespace
 * Attachment (Base 2.1 §5.1.20); the command layer decodes those commands and turns a thrown
 * {@linkcode NamespaceManagementError} into a completion with its `status`.
 *
 * Controllers register as {@linkcode NamespaceChangeListener}s (a CNTLID and a callback), so
 * this file does not depend on the controller class. Every attach, detach and delete of an
 * attached namespace notifies each affected controller once with the NSIDs that changed for it;
 * the controller adds them to its `ChangedNamespaceLog` and raises the Namespace Attribute
 * Changed event (as QEMU's emulated subsystem does, the controller that processed the command is
 * notified too).
 *
 * Defaults: NQN `nqn.2026-11.dev.nvme-harness:sub-<serial>`, serial `NHSIM0001`, NN 1024, 16 TiB
 * of NVM, the {@linkcode DEFAULT_LBA_FORMATS}, no thin provisioning, write cache enabled, and
 * one private 1 GiB namespace (NSID 1, 512-byte blocks) attached to the first controller that
 * registers.
 *
 * @example
 * ```ts
 * import { NvmSubsystem } from "./subsystem.ts";
 * const sub = new NvmSubsystem({ namespaces: [] });
 * const seen: number[][] = [];
 * sub.registerController({ cntlid: 1, notifyNamespaceChanged: (n) => seen.push(n) });
 * const ns = sub.createNamespace({ nsze: 2048n, ncap: 2048n, flbas: 0, nmic: 0 });
 * sub.attach(ns.nsid, [1]);
 * if (sub.activeNamespaces(1).join() !== "1" || seen.join() !== "1") throw new Error();
 * ```
 *
 * @module
 */

import { Flbas, formatIndex, lbaDataBytes, Nmic } from "../spec/identify_namespace.ts";
import { Status } from "../spec/status.ts";
import {
  type CreateNamespaceSpec,
  DEFAULT_MAX_NAMESPACES,
  DEFAULT_NAMESPACES,
  DEFAULT_SERIAL,
  DEFAULT_TOTAL_CAPACITY_BYTES,
  MAX_CNTLID,
  MAX_NQN_BYTES,
  type NamespaceChangeListener,
  NamespaceManagementError,
  type NvmSubsystemOptions,
  SubsystemConfigError,
} from "./subsystem_config.ts";
import {
  DEFAULT_LBA_FORMATS,
  type LbaFormatSpec,
  MAX_NSID,
  Namespace,
  NSID_BROADCAST,
} from "./namespace.ts";

export {
  type CreateNamespaceSpec,
  DEFAULT_MAX_NAMESPACES,
  DEFAULT_NAMESPACES,
  DEFAULT_SERIAL,
  DEFAULT_TOTAL_CAPACITY_BYTES,
  type InitialNamespaceSpec,
  MAX_CNTLID,
  MAX_NQN_BYTES,
  type NamespaceChangeListener,
  NamespaceManagementError,
  type NvmSubsystemOptions,
  SubsystemConfigError,
} from "./subsystem_config.ts";

const ascending = (a: number, b: number) => a - b;

function checkText(what: string, v: string, max: number): void {
  if (v.length > max || !/^[\x20-\x7e]*$/.test(v)) {
    throw new SubsystemConfigError(`${what} "${v}": use at most ${max} printable ASCII chars`);
  }
}

function fail(status: number, message: string): never {
  throw new NamespaceManagementError(status, message);
}

/** An NVM subsystem: identity, namespaces and registered controllers. */
export class NvmSubsystem {
  /** Subsystem NVMe Qualified Name (SUBNQN). */
  readonly nqn: string;
  /** Serial Number. */
  readonly serial: string;
  /** Model Number. */
  readonly model: string;
  /** Firmware Revision. */
  readonly firmwareRevision: string;
  /** Number of Namespaces (NN): NSIDs are 1..maxNamespaces. */
  readonly maxNamespaces: number;
  /** Total NVM capacity in bytes (TNVMCAP). */
  readonly totalCapacityBytes: number;
  /** LBA formats of every namespace. */
  readonly lbaFormats: readonly LbaFormatSpec[];
  /** Whether NCAP may be below NSZE. */
  readonly thinProvisioning: boolean;
  readonly #namespaces = new Map<number, Namespace>();
  readonly #controllers = new Map<number, NamespaceChangeListener>();
  readonly #autoAttach = new Set<number>();
  #writeCache: boolean;
  #created = 0;

  /** Creates the subsystem and its initial namespaces; throws {@linkcode SubsystemConfigError}. */
  constructor(options: NvmSubsystemOptions = {}) {
    this.serial = options.serial ?? DEFAULT_SERIAL;
    this.model = options.model ?? "nvme-harness reference controller";
    this.firmwareRevision = options.firmwareRevision ?? "0.1.0";
    this.nqn = options.nqn ?? `nqn.2026-11.dev.nvme-harness:sub-${this.serial}`;
    checkText("serial", this.serial, 20);
    checkText("model", this.model, 40);
    checkText("firmwareRevision", this.firmwareRevision, 8);
    checkText("nqn", this.nqn, MAX_NQN_BYTES);
    this.maxNamespaces = options.maxNamespaces ?? DEFAULT_MAX_NAMESPACES;
    if (!Number.isInteger(this.maxNamespaces) || this.maxNamespaces < 1) {
      throw new SubsystemConfigError(`maxNamespaces ${this.maxNamespaces}: use 1..${MAX_NSID}`);
    }
    this.maxNamespaces = Math.min(this.maxNamespaces, MAX_NSID);
    this.totalCapacityBytes = options.totalCapacityBytes ?? DEFAULT_TOTAL_CAPACITY_BYTES;
    if (!Number.isSafeInteger(this.totalCapacityBytes) || this.totalCapacityBytes < 0) {
      throw new SubsystemConfigError(
        `totalCapacityBytes ${this.totalCapacityBytes}: use a whole number of bytes below 2^53`,
      );
    }
    this.lbaFormats = options.lbaFormats ?? DEFAULT_LBA_FORMATS;
    this.thinProvisioning = options.thinProvisioning ?? false;
    this.#writeCache = options.writeCacheEnabled ?? true;
    for (const spec of options.namespaces ?? DEFAULT_NAMESPACES) {
      let ns: Namespace;
      try {
        ns = this.createNamespace(spec);
      } catch (e) {
        if (!(e instanceof NamespaceManagementError)) throw e;
        throw new SubsystemConfigError(`initial namespace (NSZE ${spec.nsze}): ${e.message}`);
      }
      if (spec.autoAttach ?? true) this.#autoAttach.add(ns.nsid);
    }
  }

  /** Whether the namespaces' volatile write caches are enabled. */
  get writeCacheEnabled(): boolean {
    return this.#writeCache;
  }

  /** Capacity not allocated to any namespace (UNVMCAP), in bytes. */
  get unallocatedCapacityBytes(): number {
    let used = 0;
    for (const ns of this.#namespaces.values()) used += ns.capacityBytes;
    return this.totalCapacityBytes - used;
  }

  /** The namespace with `nsid`, or undefined when it is not allocated. */
  namespace(nsid: number): Namespace | undefined {
    return this.#namespaces.get(nsid);
  }

  /** Allocated NSIDs in increasing order. */
  allocatedNamespaces(): number[] {
    return [...this.#namespaces.keys()].sort(ascending);
  }

  /** NSIDs attached to (active on) controller `cntlid`, in increasing order. */
  activeNamespaces(cntlid: number): number[] {
    const out: number[] = [];
    for (const ns of this.#namespaces.values()) if (ns.isAttached(cntlid)) out.push(ns.nsid);
    return out.sort(ascending);
  }

  /** CNTLIDs namespace `nsid` is attached to, in increasing order (empty if unallocated). */
  attachedControllers(nsid: number): number[] {
    return [...(this.#namespaces.get(nsid)?.attachedControllers ?? [])].sort(ascending);
  }

  /** Registered CNTLIDs in increasing order. */
  controllerIds(): number[] {
    return [...this.#controllers.keys()].sort(ascending);
  }

  /** The lowest CNTLID not registered, starting at 1. */
  nextFreeCntlid(): number {
    for (let id = 1; id <= MAX_CNTLID; id++) if (!this.#controllers.has(id)) return id;
    throw new SubsystemConfigError(`all CNTLIDs 1..${MAX_CNTLID} are in use`);
  }

  /**
   * Registers a controller and attaches the auto-attach namespaces to it (a private one only if
   * it is not attached yet), without notification: this is its power-on state.
   */
  registerController(listener: NamespaceChangeListener): void {
    const id = listener.cntlid;
    if (!Number.isInteger(id) || id < 0 || id > MAX_CNTLID || this.#controllers.has(id)) {
      throw new SubsystemConfigError(
        `CNTLID ${id} is invalid or taken: use a free id in 0..${MAX_CNTLID} (nextFreeCntlid())`,
      );
    }
    this.#controllers.set(id, listener);
    for (const nsid of this.#autoAttach) {
      const ns = this.#namespaces.get(nsid);
      if (ns && (ns.shared || ns.attachedControllers.size === 0)) ns.attachedControllers.add(id);
    }
  }

  /** Removes a controller's listener; its attachments stay (a CNTLID is stable). */
  unregisterController(cntlid: number): void {
    this.#controllers.delete(cntlid);
  }

  /**
   * Namespace Management create: allocates the lowest free NSID (up to NN) and returns the new,
   * unattached namespace. Errors: Invalid Field (NSZE 0, NCAP > NSZE, reserved NMIC bits),
   * Invalid Format (unsupported FLBAS), Thin Provisioning Not Supported, Namespace Identifier
   * Unavailable (all NSIDs in use), Namespace Insufficient Capacity.
   */
  createNamespace(spec: CreateNamespaceSpec): Namespace {
    const nsze = BigInt(spec.nsze);
    const ncap = BigInt(spec.ncap ?? spec.nsze);
    const flbas = spec.flbas ?? 0;
    const nmic = spec.nmic ?? 0;
    if (nsze < 1n) fail(Status.INVALID_FIELD, "NSZE is 0: give the namespace size in blocks");
    if (ncap < 1n || ncap > nsze) {
      fail(Status.INVALID_FIELD, `NCAP ${ncap} must be 1..NSZE (${nsze})`);
    }
    if ((nmic & ~(1 << Nmic.SHARED)) !== 0) {
      fail(Status.INVALID_FIELD, `NMIC ${nmic}: only bit ${Nmic.SHARED} (shared) is supported`);
    }
    const index = formatIndex(flbas);
    const format = this.lbaFormats[index];
    if (format === undefined) {
      fail(
        Status.INVALID_FORMAT,
        `FLBAS ${flbas}: use a format index 0..${this.lbaFormats.length - 1}`,
      );
    }
    if (ncap < nsze && !this.thinProvisioning) {
      fail(Status.THIN_PROVISIONING_NOT_SUPPORTED, `NCAP ${ncap} < NSZE ${nsze}: set NCAP = NSZE`);
    }
    let nsid = 0;
    for (let id = 1; id <= this.maxNamespaces; id++) {
      if (!this.#namespaces.has(id)) {
        nsid = id;
        break;
      }
    }
    if (nsid === 0) {
      fail(Status.NAMESPACE_ID_UNAVAILABLE, `all ${this.maxNamespaces} NSIDs are allocated`);
    }
    const bs = lbaDataBytes(format.lbads);
    const want = ncap * BigInt(bs);
    if (want > BigInt(this.unallocatedCapacityBytes) || nsze * BigInt(bs) > 2n ** 53n - 1n) {
      fail(
        Status.NAMESPACE_INSUFFICIENT_CAPACITY,
        `${want} bytes requested, ${this.unallocatedCapacityBytes} unallocated: shrink NCAP`,
      );
    }
    const ns = new Namespace({
      nsid,
      nsze: Number(nsze),
      ncap: Number(ncap),
      lbaFormats: this.lbaFormats,
      formatIndex: index,
      shared: (nmic & (1 << Nmic.SHARED)) !== 0,
      idSeed: `${this.nqn}/ns${nsid}/gen${this.#created++}`,
      writeCacheEnabled: this.#writeCache,
      extendedLba: (flbas & (1 << Flbas.EXTENDED)) !== 0,
    });
    this.#namespaces.set(nsid, ns);
    return ns;
  }

  /**
   * Namespace Management delete: detaches `nsid` (or every namespace, for FFFFFFFFh) from all
   * controllers, notifying them, and frees it. Returns the deleted NSIDs. Errors: Invalid
   * Namespace or Format (NSID 0 or above NN), Invalid Field (NSID not allocated).
   */
  deleteNamespace(nsid: number): number[] {
    const nsids = nsid === NSID_BROADCAST ? this.allocatedNamespaces() : [this.#allocated(nsid)];
    const changed = new Map<number, number[]>();
    for (const id of nsids) {
      const ns = this.#namespaces.get(id)!;
      for (const c of ns.attachedControllers) {
        const list = changed.get(c) ?? [];
        list.push(id);
        changed.set(c, list);
      }
      ns.attachedControllers.clear();
      this.#namespaces.delete(id);
      this.#autoAttach.delete(id);
    }
    for (const [cntlid, list] of changed) this.#notify(cntlid, list);
    return nsids;
  }

  /**
   * Namespace Attachment attach: attaches `nsid` to every controller in `cntlids`, all or
   * nothing, and notifies them. Errors: Invalid Namespace or Format / Invalid Field (bad or
   * unallocated NSID), Controller List Invalid (empty, duplicate or unknown CNTLID), Namespace
   * Already Attached, Namespace Is Private (a private namespace on a second controller).
   */
  attach(nsid: number, cntlids: readonly number[]): void {
    const ns = this.#namespaces.get(this.#allocated(nsid))!;
    this.#checkList(cntlids);
    for (const c of cntlids) {
      if (ns.isAttached(c)) {
        fail(Status.NAMESPACE_ALREADY_ATTACHED, `namespace ${nsid} is already on controller ${c}`);
      }
    }
    if (!ns.shared && ns.attachedControllers.size + cntlids.length > 1) {
      fail(
        Status.NAMESPACE_IS_PRIVATE,
        `namespace ${nsid} is private: attach it to one controller, or create it with NMIC 1`,
      );
    }
    for (const c of cntlids) ns.attachedControllers.add(c);
    for (const c of cntlids) this.#notify(c, [nsid]);
  }

  /**
   * Namespace Attachment detach: detaches `nsid` from every controller in `cntlids`, all or
   * nothing, and notifies them. Errors as {@linkcode attach}, plus Namespace Not Attached.
   */
  detach(nsid: number, cntlids: readonly number[]): void {
    const ns = this.#namespaces.get(this.#allocated(nsid))!;
    this.#checkList(cntlids);
    for (const c of cntlids) {
      if (!ns.isAttached(c)) {
        fail(Status.NAMESPACE_NOT_ATTACHED, `namespace ${nsid} is not on controller ${c}`);
      }
    }
    for (const c of cntlids) ns.attachedControllers.delete(c);
    for (const c of cntlids) this.#notify(c, [nsid]);
  }

  /** Volatile Write Cache feature for every namespace; disabling flushes the caches first. */
  setWriteCacheEnabled(enabled: boolean): void {
    this.#writeCache = enabled;
    for (const ns of this.#namespaces.values()) ns.media.setWriteCacheEnabled(enabled);
  }

  /** Flush with NSID FFFFFFFFh: makes every namespace's cached data durable. */
  flushAll(): void {
    for (const ns of this.#namespaces.values()) ns.media.flush();
  }

  /** Simulated power loss: every namespace drops what is not durable. */
  powerLoss(): void {
    for (const ns of this.#namespaces.values()) ns.media.powerLoss();
  }

  /** Checks an NSID names an allocated namespace and returns it, else fails as the spec says. */
  #allocated(nsid: number): number {
    if (nsid === NSID_BROADCAST) {
      fail(Status.INVALID_FIELD, "NSID FFFFFFFFh is not allowed here: name one namespace");
    }
    if (!Number.isInteger(nsid) || nsid < 1 || nsid > this.maxNamespaces) {
      fail(Status.INVALID_NAMESPACE, `NSID ${nsid} is invalid: use 1..${this.maxNamespaces}`);
    }
    if (!this.#namespaces.has(nsid)) {
      fail(Status.INVALID_FIELD, `NSID ${nsid} is not allocated: create it first`);
    }
    return nsid;
  }

  #checkList(cntlids: readonly number[]): void {
    if (cntlids.length === 0) {
      fail(Status.CONTROLLER_LIST_INVALID, "the controller list is empty: name a controller");
    }
    const seen = new Set<number>();
    for (const c of cntlids) {
      if (!this.#controllers.has(c) || seen.has(c)) {
        fail(Status.CONTROLLER_LIST_INVALID, `CNTLID ${c} is unknown or listed twice`);
      }
      seen.add(c);
    }
  }

  #notify(cntlid: number, nsids: number[]): void {
    this.#controllers.get(cntlid)?.notifyNamespaceChanged(nsids.sort(ascending));
  }
}
