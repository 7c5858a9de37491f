/**
 * The configuration vocabulary of an NVM subsystem (subsystem.ts): its options, the namespace
 * specs it is created with and Namespace Management honours, its defaults and limits, and its
 * errors.
 *
 * @module
 */

import { type LbaFormatSpec, NamespaceStatusError } from "./namespace.ts";

/** What the subsystem needs of a controller: its CNTLID and a change callback. */
export interface NamespaceChangeListener {
  /** Controller identifier, unique in the subsystem (0..FFEFh). */
  readonly cntlid: number;
  /** Called with the NSIDs whose attachment changed for this controller (sorted, non-empty). */
  notifyNamespaceChanged(nsids: number[]): void;
}

/** The host data of Namespace Management create (the fields this subsystem honours). */
export interface CreateNamespaceSpec {
  /** Namespace Size in blocks of the selected format. */
  readonly nsze: number | bigint;
  /** Namespace Capacity in blocks (default `nsze`). */
  readonly ncap?: number | bigint;
  /** Formatted LBA Size: the LBA format index (bits 3:0 and 6:5) and extended bit (default 0). */
  readonly flbas?: number;
  /** Namespace Multi-path I/O and Sharing Capabilities: bit 0 shared (default 0, private). */
  readonly nmic?: number;
}

/** A namespace the subsystem starts with. */
export interface InitialNamespaceSpec extends CreateNamespaceSpec {
  /** Attach to controllers as they register (a private namespace to the first only); default true. */
  readonly autoAttach?: boolean;
}

/** Options of {@linkcode NvmSubsystem}; every field has a documented default. */
export interface NvmSubsystemOptions {
  /** Serial Number (SN), up to 20 ASCII characters (default `NHSIM0001`). */
  readonly serial?: string;
  /** Model Number (MN), up to 40 characters (default `nvme-harness reference controller`). */
  readonly model?: string;
  /** Firmware Revision (FR), up to 8 characters (default `0.1.0`). */
  readonly firmwareRevision?: string;
  /** Subsystem NQN, up to 223 bytes (default `nqn.2026-11.dev.nvme-harness:sub-<serial>`). */
  readonly nqn?: string;
  /** Number of Namespaces (NN): the largest NSID (default 1024). */
  readonly maxNamespaces?: number;
  /** Total NVM capacity in bytes (TNVMCAP) that namespaces are allocated from (default 16 TiB). */
  readonly totalCapacityBytes?: number;
  /** LBA formats every namespace supports (default {@linkcode DEFAULT_LBA_FORMATS}). */
  readonly lbaFormats?: readonly LbaFormatSpec[];
  /** Whether NCAP may be below NSZE (default false: Thin Provisioning Not Supported, 11Bh). */
  readonly thinProvisioning?: boolean;
  /** Volatile write cache state of every namespace's media (default true). */
  readonly writeCacheEnabled?: boolean;
  /** Namespaces created at power-on (default one private 1 GiB namespace of 512-byte blocks). */
  readonly namespaces?: readonly InitialNamespaceSpec[];
}

/** The default serial number. */
export const DEFAULT_SERIAL = "NHSIM0001";
/** The default Number of Namespaces (NN). */
export const DEFAULT_MAX_NAMESPACES = 1024;
/** The default total NVM capacity: 16 TiB. */
export const DEFAULT_TOTAL_CAPACITY_BYTES = 2 ** 44;
/** Largest valid CNTLID (FFF0h..FFFFh are reserved, Base 2.1 Identify Controller CNTLID). */
export const MAX_CNTLID = 0xffef;
/** Largest NQN length in bytes (Base 2.1 §4.7, NVMe Qualified Names). */
export const MAX_NQN_BYTES = 223;
/** The default namespace list: one private 1 GiB namespace with 512-byte blocks. */
export const DEFAULT_NAMESPACES: readonly InitialNamespaceSpec[] = Object.freeze([
  Object.freeze({ nsze: 2 ** 21 }),
]);

/** A Namespace Management or Namespace Attachment failure; `status` is what to post. */
export class NamespaceManagementError extends NamespaceStatusError {}

/** Thrown for subsystem options or controller registrations that cannot work (harness misuse). */
export class SubsystemConfigError extends RangeError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "SubsystemConfigError";
  }
}
