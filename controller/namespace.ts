/**
 * A namespace of the reference NVM subsystem: its LBA formats, size, sharing capability,
 * attachments, identifiers and media, and the Identify data it reports (Identify Namespace,
 * NVM Command Set 1.1 §4.1.5.1; Namespace Identification Descriptor list, Base 2.1 §5.1.13.2.3).
 *
 * Defaults: LBA formats {@linkcode DEFAULT_LBA_FORMATS} (LBAF0 512 B, LBAF1 4 KiB, both without
 * metadata), format index 0, NCAP = NSZE (no thin provisioning), private (NMIC 0), write cache
 * off, no end-to-end protection, identifiers derived deterministically from `idSeed`.
 *
 * Metadata: a format with MS > 0 stores MS bytes per block beside the data (media.ts), moved
 * either as a separate buffer at MPTR (FLBAS bit 4 = 0, the default) or as an extended LBA,
 * interleaved after each block's data in the data buffer (FLBAS bit 4 = 1, `extendedLba`); see
 * nvm_metadata.ts. Identify Namespace reports MC bits 0 and 1 (both ways supported).
 *
 * The namespace's capacity in bytes is fixed at creation; a Format NVM to a different LBA data
 * size re-expresses NSZE and NCAP in the new block size (`floor(bytes / blockSize)`).
 *
 * @example
 * ```ts
 * import { IdentifyNamespace } from "../spec/identify_namespace.ts";
 * import { Namespace } from "./namespace.ts";
 * const ns = new Namespace({ nsid: 1, nsze: 2 ** 21 }); // 1 GiB of 512-byte blocks
 * const id = IdentifyNamespace.decode(ns.identify(new Uint8Array(4096)));
 * if (id.nsze !== 2n ** 21n || id.nlbaf !== 1) throw new Error();
 * ns.format(1); // 4 KiB blocks
 * if (ns.nsze !== 2 ** 18 || ns.media.blockSize !== 4096) throw new Error();
 * ```
 *
 * @module
 */

import {
  Dlfeat,
  DlfeatRead,
  flbasFor,
  IdentifyNamespace,
  LBA_FORMAT_COUNT,
  lbaDataBytes,
  Mc,
  MIN_LBADS,
  Nmic,
  Nsfeat,
} from "../spec/identify_namespace.ts";
import { encodeNsDescriptorList, Nidt, type NsDescriptor } from "../spec/ns_descriptors.ts";
import { Status } from "../spec/status.ts";
import { MediaStore } from "./media.ts";
import { COPY_MCL, COPY_MSRC, COPY_MSSRL } from "./nvm_copy.ts";

/** One LBA format a namespace supports (reported as an LBAF entry of Identify Namespace). */
export interface LbaFormatSpec {
  /** Metadata Size in bytes per LBA (MS); 0 for none. Stored per block with the data. */
  readonly ms: number;
  /** LBA Data Size as log2(bytes) (LBADS): 9 = 512 B, 12 = 4 KiB; 9..30. */
  readonly lbads: number;
  /** Relative Performance (RP), 0 = best .. 3 = degraded (default 0). */
  readonly rp?: number;
}

/** Default LBA formats: LBAF0 512 B (RP 1, "better"), LBAF1 4 KiB (RP 0, "best"), no metadata. */
export const DEFAULT_LBA_FORMATS: readonly LbaFormatSpec[] = Object.freeze([
  Object.freeze({ ms: 0, lbads: 9, rp: 1 }),
  Object.freeze({ ms: 0, lbads: 12, rp: 0 }),
]);

/** Largest LBADS accepted: 1 GiB blocks (the media needs a whole block in memory). */
export const MAX_LBADS = 30;

/** Largest valid NSID (FFFFFFFFh is the broadcast value, Base 2.1 §3.2.1). */
export const MAX_NSID = 0xffff_fffe;

/** NSID FFFFFFFFh: all namespaces (broadcast). */
export const NSID_BROADCAST = 0xffff_ffff;

/** Command Set Identifier of the NVM Command Set (Base 2.1, Command Set Identifiers: 00h). */
export const CSI_NVM = 0;

/** Options of {@linkcode Namespace}. */
export interface NamespaceOptions {
  /** Namespace identifier, 1..FFFFFFFEh. */
  readonly nsid: number;
  /** Namespace Size in logical blocks of the initial format. */
  readonly nsze: number;
  /** Namespace Capacity in blocks (default `nsze`); NCAP < NSZE reports thin provisioning. */
  readonly ncap?: number;
  /** Supported LBA formats, 1..64 (default {@linkcode DEFAULT_LBA_FORMATS}). */
  readonly lbaFormats?: readonly LbaFormatSpec[];
  /** Index of the LBA format in use (FLBAS), default 0. */
  readonly formatIndex?: number;
  /** NMIC.SHARED: may be attached to more than one controller (default false). */
  readonly shared?: boolean;
  /** Seed of the derived EUI64/NGUID/UUID (default `"nsid-<nsid>"`). */
  readonly idSeed?: string;
  /** Whether the media's volatile write cache starts enabled (default false). */
  readonly writeCacheEnabled?: boolean;
  /**
   * FLBAS bit 4: metadata travels at the end of each block's data (extended LBA) rather than in
   * a separate buffer (default false). Ignored for a format without metadata.
   */
  readonly extendedLba?: boolean;
}

/** Thrown for namespace options that cannot describe a namespace (a harness usage error). */
export class NamespaceConfigError extends RangeError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "NamespaceConfigError";
  }
}

/**
 * An error that the command layer turns into a completion status: `status` is a value of
 * `Status` (`SCT << 8 | SC`, see spec/status.ts).
 */
export class NamespaceStatusError extends Error {
  /** The status to post, `SCT << 8 | SC`. */
  readonly status: number;
  /** Creates the error. */
  constructor(status: number, message: string) {
    super(message);
    this.name = new.target.name;
    this.status = status;
  }
}

/** Format NVM / Namespace Management named an LBA format the namespace does not support. */
export class InvalidFormatError extends NamespaceStatusError {
  /** Creates the error (status Invalid Format, 10Ah). */
  constructor(message: string) {
    super(Status.INVALID_FORMAT, message);
  }
}

/** FNV-1a over a string, then SplitMix32 steps: deterministic bytes for identifiers. */
function deriveBytes(seed: string, n: number): Uint8Array {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    h = (h + 0x9e3779b9) | 0;
    let z = h;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    out[i] = (z ^ (z >>> 16)) & 0xff;
  }
  return out;
}

/** The company id used in derived EUI64/NGUID values: CID form (locally assigned), not an OUI. */
export const DERIVED_COMPANY_ID: readonly number[] = Object.freeze([0x0a, 0x4e, 0x48]);

function checkFormats(formats: readonly LbaFormatSpec[]): void {
  if (formats.length < 1 || formats.length > LBA_FORMAT_COUNT) {
    throw new NamespaceConfigError(
      `${formats.length} LBA formats: use 1..${LBA_FORMAT_COUNT} formats`,
    );
  }
  for (const [i, f] of formats.entries()) {
    const rp = f.rp ?? 0;
    if (
      !Number.isInteger(f.lbads) || f.lbads < MIN_LBADS || f.lbads > MAX_LBADS ||
      !Number.isInteger(f.ms) || f.ms < 0 || f.ms > 0xffff || !Number.isInteger(rp) || rp < 0 ||
      rp > 3
    ) {
      throw new NamespaceConfigError(
        `LBA format ${i} ${JSON.stringify(f)}: use lbads ${MIN_LBADS}..${MAX_LBADS}, ` +
          "ms 0..65535 and rp 0..3",
      );
    }
  }
}

/** One namespace: configuration, attachments, identifiers and media. */
export class Namespace {
  /** Namespace identifier. */
  readonly nsid: number;
  /** Supported LBA formats (LBAF0..LBAFn). */
  readonly lbaFormats: readonly LbaFormatSpec[];
  /** NMIC.SHARED: may be attached to several controllers. */
  readonly shared: boolean;
  /** IEEE Extended Unique Identifier (8 bytes). */
  readonly eui64: Uint8Array;
  /** Namespace Globally Unique Identifier (16 bytes). */
  readonly nguid: Uint8Array;
  /** Namespace UUID (16 bytes, RFC 9562 version 8, derived). */
  readonly uuid: Uint8Array;
  /** The namespace's data. */
  readonly media: MediaStore;
  /** Controllers (CNTLIDs) this namespace is attached to; maintained by the subsystem. */
  readonly attachedControllers: Set<number> = new Set();
  /** Capacity in bytes: NSZE × block size at creation, kept across Format NVM. */
  readonly sizeBytes: number;
  readonly #capBytes: number;
  #formatIndex: number;
  #extended: boolean;
  #separateMs = 0;
  #transferBlock = 0;

  /** Creates a namespace; throws {@linkcode NamespaceConfigError} for invalid options. */
  constructor(options: NamespaceOptions) {
    const { nsid, nsze } = options;
    const ncap = options.ncap ?? nsze;
    if (!Number.isInteger(nsid) || nsid < 1 || nsid > MAX_NSID) {
      throw new NamespaceConfigError(`NSID ${nsid} is invalid: use 1..${MAX_NSID}`);
    }
    this.lbaFormats = options.lbaFormats ?? DEFAULT_LBA_FORMATS;
    checkFormats(this.lbaFormats);
    const index = options.formatIndex ?? 0;
    if (!Number.isInteger(index) || index < 0 || index >= this.lbaFormats.length) {
      throw new NamespaceConfigError(
        `format index ${index}: use 0..${this.lbaFormats.length - 1}`,
      );
    }
    const bs = lbaDataBytes(this.lbaFormats[index].lbads);
    if (
      !Number.isSafeInteger(nsze) || nsze < 1 || !Number.isSafeInteger(ncap) || ncap < 1 ||
      ncap > nsze || !Number.isSafeInteger(nsze * bs)
    ) {
      throw new NamespaceConfigError(
        `NSZE ${nsze} / NCAP ${ncap}: use 1 ≤ NCAP ≤ NSZE with NSZE × ${bs} below 2^53`,
      );
    }
    this.nsid = nsid;
    this.shared = options.shared ?? false;
    this.#formatIndex = index;
    this.#extended = false;
    this.sizeBytes = nsze * bs;
    this.#capBytes = ncap * bs;
    this.media = new MediaStore({
      blockSize: bs,
      blockCount: nsze,
      writeCacheEnabled: options.writeCacheEnabled ?? false,
      metadataSize: this.lbaFormats[index].ms,
    });
    this.#setMetadataLayout(options.extendedLba ?? false);
    const seed = options.idSeed ?? `nsid-${nsid}`;
    this.eui64 = deriveBytes(`${seed}/eui64`, 8);
    this.eui64.set(DERIVED_COMPANY_ID, 0);
    this.nguid = deriveBytes(`${seed}/nguid`, 16);
    this.nguid.set(DERIVED_COMPANY_ID, 8);
    this.uuid = deriveBytes(`${seed}/uuid`, 16);
    this.uuid[6] = 0x80 | (this.uuid[6] & 0x0f); // version 8 (custom)
    this.uuid[8] = 0x80 | (this.uuid[8] & 0x3f); // variant 10b
  }

  /** Index of the LBA format in use (FLBAS bits 3:0 and 6:5). */
  get formatIndex(): number {
    return this.#formatIndex;
  }

  /** The LBA format in use. */
  get lbaFormat(): LbaFormatSpec {
    return this.lbaFormats[this.#formatIndex];
  }

  /** Metadata Size (MS) in bytes per block of the format in use; 0 for none. */
  get metadataSize(): number {
    return this.media.metadataSize;
  }

  /** FLBAS bit 4: the format has metadata and it is interleaved with the data (extended LBA). */
  get extendedLba(): boolean {
    return this.#extended;
  }

  /**
   * Metadata bytes per block that travel in the separate buffer at MPTR: MS when the format has
   * metadata and FLBAS bit 4 is clear, else 0 (no metadata, or extended LBAs).
   */
  get separateMetadataSize(): number {
    return this.#separateMs;
  }

  /**
   * Bytes per block in the data buffer: the LBA data size, plus MS for extended LBAs. MDTS
   * counts these bytes, never a separate metadata buffer (Base 2.1 §5.1.13.2.1, Figure 312: MDTS
   * and CTRATT.MEM = 0).
   */
  get transferBlockSize(): number {
    return this.#transferBlock;
  }

  /** LBA data size in bytes of the format in use. */
  get blockSize(): number {
    return this.media.blockSize;
  }

  /** Namespace Size (NSZE) in logical blocks of the format in use. */
  get nsze(): number {
    return this.media.blockCount;
  }

  /** Namespace Capacity (NCAP) in logical blocks of the format in use. */
  get ncap(): number {
    return Math.floor(this.#capBytes / this.media.blockSize);
  }

  /** Capacity in bytes allocated from the subsystem's NVM (NCAP × block size at creation). */
  get capacityBytes(): number {
    return this.#capBytes;
  }

  /** Whether the namespace is attached to controller `cntlid`. */
  isAttached(cntlid: number): boolean {
    return this.attachedControllers.has(cntlid);
  }

  /**
   * Format NVM: erases the media (data and metadata) and switches to LBA format `lbafIndex`;
   * `extendedLba` is Format NVM's MSET (FLBAS bit 4: metadata interleaved with the data). Throws
   * {@linkcode InvalidFormatError} (Invalid Format, 10Ah) for an index the namespace does not
   * support or a block larger than the namespace.
   */
  format(lbafIndex: number, extendedLba = false): void {
    const f = Number.isInteger(lbafIndex) ? this.lbaFormats[lbafIndex] : undefined;
    if (f === undefined) {
      throw new InvalidFormatError(
        `LBA format ${lbafIndex} is not supported by namespace ${this.nsid}: ` +
          `use 0..${this.lbaFormats.length - 1}`,
      );
    }
    const bs = lbaDataBytes(f.lbads);
    if (Math.floor(this.#capBytes / bs) < 1) {
      throw new InvalidFormatError(
        `namespace ${this.nsid} holds ${this.#capBytes} bytes, less than one ${bs}-byte block`,
      );
    }
    this.media.format(bs, Math.floor(this.sizeBytes / bs), f.ms);
    this.#formatIndex = lbafIndex;
    this.#setMetadataLayout(extendedLba);
  }

  /** Derives the per-command metadata layout from the format in use and FLBAS bit 4. */
  #setMetadataLayout(extendedLba: boolean): void {
    const ms = this.media.metadataSize;
    this.#extended = extendedLba && ms > 0;
    this.#separateMs = this.#extended ? 0 : ms;
    this.#transferBlock = this.media.blockSize + (this.#extended ? ms : 0);
  }

  /**
   * Encodes the Identify Namespace data structure (CNS 00h, 4096 bytes) into `into` at
   * `offset` and returns `into`. NUSE counts allocated blocks (see
   * `MediaStore.allocatedBlocks`); NVMCAP is the capacity in bytes.
   */
  identify(into: Uint8Array, offset = 0): Uint8Array {
    const hasMetadata = this.lbaFormats.some((f) => f.ms > 0);
    return IdentifyNamespace.encode(
      {
        nsze: BigInt(this.nsze),
        ncap: BigInt(this.ncap),
        nuse: BigInt(this.media.allocatedBlocks()),
        nsfeat: this.ncap < this.nsze ? 1 << Nsfeat.THINP : 0,
        nlbaf: this.lbaFormats.length - 1, // 0's based
        flbas: flbasFor(this.#formatIndex, this.#extended),
        // Both metadata transfer ways are implemented (nvm_metadata.ts).
        mc: hasMetadata ? (1 << Mc.SEPARATE) | (1 << Mc.EXTENDED) : 0,
        dpc: 0, // no end-to-end protection
        dps: 0,
        nmic: this.shared ? 1 << Nmic.SHARED : 0,
        dlfeat: DlfeatRead.ZEROES | (1 << Dlfeat.WRITE_ZEROES_DEALLOC),
        nvmcap: BigInt(this.#capBytes),
        // Copy limits (NVM CS 1.1 §3.3.2), enforced by nvm_copy.ts.
        mssrl: COPY_MSSRL,
        mcl: COPY_MCL,
        msrc: COPY_MSRC,
        nguid: this.nguid,
        eui64: this.eui64,
        lbaf: this.lbaFormats.map((f) => ({ ms: f.ms, ds: f.lbads, rp: f.rp ?? 0 })),
      },
      into,
      offset,
    );
  }

  /** The Namespace Identification Descriptors: EUI64, NGUID, UUID and CSI (NVM). */
  descriptors(): NsDescriptor[] {
    return [
      { nidt: Nidt.EUI64, nid: this.eui64.slice() },
      { nidt: Nidt.NGUID, nid: this.nguid.slice() },
      { nidt: Nidt.UUID, nid: this.uuid.slice() },
      { nidt: Nidt.CSI, nid: Uint8Array.of(CSI_NVM) },
    ];
  }

  /**
   * Encodes the Namespace Identification Descriptor list (CNS 03h, 4096 bytes) into `into` at
   * `offset` and returns `into`.
   */
  encodeDescriptors(into: Uint8Array, offset = 0): Uint8Array {
    into.set(encodeNsDescriptorList(this.descriptors()), offset);
    return into;
  }
}
