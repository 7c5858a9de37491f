/**
 * Identify for the Linux-like driver (`nvme_identify_ctrl`, `nvme_scan_ns_list` +
 * `nvme_identify_ns`, Base 2.1 §5.1.13), and the Changed Namespace List notice that rescans.
 *
 * Bring-up reads the same Identify data over and over (every reset; every fuzz case on an
 * identically configured controller), so parsing is kept cheap without changing what the host
 * does: each Identify is still one 4 KiB command and one 4 KiB CPU read of the buffer, but
 *
 * - the data is read into one module-level scratch buffer and parsed before anything else runs;
 * - Identify Controller bytes equal to the last ones decoded reuse that decode, handed out as a
 *   deep copy (so no two drivers share a mutable value; copying is ~5× cheaper than decoding);
 * - Identify Namespace is read field by field (NSZE, NCAP, FLBAS, the selected LBA format) from
 *   the spec's field table instead of decoding all of it.
 *
 * @module
 */

import { Cns } from "../../spec/admin_commands.ts";
import { IDENTIFY_DATA_SIZE, IdentifyController } from "../../spec/identify_controller.ts";
import {
  formatIndex,
  IdentifyNamespace,
  lbaDataBytes,
  LbaFormat,
} from "../../spec/identify_namespace.ts";
import { LogPageId } from "../../spec/log_page_ids.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import type { Layout } from "../../spec/struct.ts";
import type { IdentifyControllerValue } from "../../spec/value_types.ts";
import type { NamespaceInfo } from "../model.ts";
import { adminCommand, type LinuxCore } from "./core.ts";
import { CTRL_PAGE_SIZE } from "./data_mapping.ts";

/** Identify buffer of each driver (allocated at first use, kept for the driver's life). */
const identifyBuffers = new WeakMap<LinuxCore, number>();
/**
 * The CPU copy of the last Identify data read. Safe to share between drivers: it is filled by one
 * synchronous `memRead` and parsed at once, before any other driver code can run.
 */
const scratch = new Uint8Array(IDENTIFY_DATA_SIZE);
const scratchView = new DataView(scratch.buffer);
const scratchWords = new Int32Array(scratch.buffer);
/** Identify Controller bytes last decoded, and their decode (never handed out itself). */
const lastControllerWords = new Int32Array(IDENTIFY_DATA_SIZE / Int32Array.BYTES_PER_ELEMENT);
let lastController: IdentifyControllerValue | null = null;

/** Identify Namespace fields bring-up needs (NVM CS 1.1 §4.1.5.1). */
const NSZE = IdentifyNamespace.field("nsze").offset;
const NCAP = IdentifyNamespace.field("ncap").offset;
const FLBAS = IdentifyNamespace.field("flbas").offset;
const LBAF = IdentifyNamespace.field("lbaf").offset;

/** The driver's Identify buffer (one 4 KiB page, allocated on first use). */
export function identifyBuffer(core: LinuxCore): number {
  let b = identifyBuffers.get(core);
  if (b === undefined) {
    b = core.host.allocate(IDENTIFY_DATA_SIZE, CTRL_PAGE_SIZE);
    identifyBuffers.set(core, b);
  }
  return b;
}

/** Sends Identify `cns` for `nsid` and reads the data into `scratch`; false on an error status. */
function identifyIntoScratch(core: LinuxCore, cns: number, nsid: number): boolean {
  const buf = identifyBuffer(core);
  const c = adminCommand(core, `Identify CNS ${cns}`, {
    admin: true,
    opcode: AdminOpcode.IDENTIFY,
    nsid,
    cdw10: cns,
    data: [{ addr: buf, length: IDENTIFY_DATA_SIZE }],
  });
  if (c.status !== 0) return false;
  core.host.memRead(buf, scratch);
  return true;
}

/** Copies one decoded value of a layout. */
type Copier<T> = (value: T) => T;

/**
 * A deep copier for values decoded through `layout`, derived from its field table: a spread copy
 * with fresh byte arrays, number arrays and element structures — several times cheaper than
 * decoding again, with the same keys in the same order and nothing shared with the original.
 */
function copierFor<T>(layout: Layout<T>): Copier<T> {
  const nested: [string, Copier<unknown>][] = [];
  for (const f of layout.fields) {
    if (f.kind === "bytes") nested.push([f.name, (b) => (b as Uint8Array).slice()]);
    else if (f.kind === "uints") nested.push([f.name, (a) => (a as number[]).slice()]);
    else if (f.kind === "array") {
      const element = copierFor(f.element as Layout<unknown>);
      nested.push([f.name, (a) => (a as unknown[]).map(element)]);
    }
  }
  return (value) => {
    const out: Record<string, unknown> = { ...value as Record<string, unknown> };
    for (const [name, copy] of nested) out[name] = copy(out[name]);
    return out as T;
  };
}

const copyIdentifyController = copierFor(IdentifyController);

/** True when `scratch` holds the Identify Controller bytes decoded last. */
function sameAsLastController(): boolean {
  if (lastController === null) return false;
  for (let i = 0; i < scratchWords.length; i++) {
    if (scratchWords[i] !== lastControllerWords[i]) return false;
  }
  return true;
}

/** Identify Controller (CNS 01h), decoded; null when the controller returned an error. */
export function identifyController(core: LinuxCore): IdentifyControllerValue | null {
  if (!identifyIntoScratch(core, Cns.CONTROLLER, 0)) return null;
  if (!sameAsLastController()) {
    // Kept as a copy: the copier's own output is what it copies fastest.
    lastController = copyIdentifyController(IdentifyController.decode(scratch));
    lastControllerWords.set(scratchWords);
  }
  return copyIdentifyController(lastController!);
}

/** Identify of the active namespaces (CNS 02h, then CNS 00h for each). */
export function scanNamespaces(core: LinuxCore): NamespaceInfo[] {
  if (!identifyIntoScratch(core, Cns.ACTIVE_NS_LIST, 0)) return [];
  // The list is copied out: each namespace's Identify reuses the scratch buffer.
  const nsids: number[] = [];
  for (let i = 0; i < IDENTIFY_DATA_SIZE; i += 4) {
    const nsid = scratchView.getUint32(i, true);
    if (nsid === 0) break;
    nsids.push(nsid);
  }
  const out: NamespaceInfo[] = [];
  for (const nsid of nsids) {
    if (!identifyIntoScratch(core, Cns.NAMESPACE, nsid)) continue;
    const blocks = Number(scratchView.getBigUint64(NSZE, true));
    if (blocks === 0) continue;
    const lbaf = LbaFormat.decode(scratch, LBAF + formatIndex(scratch[FLBAS]) * LbaFormat.size);
    out.push({
      nsid,
      blocks,
      capacity: Number(scratchView.getBigUint64(NCAP, true)),
      blockSize: lbaDataBytes(lbaf.ds),
      metadataSize: lbaf.ms,
    });
  }
  return out;
}

/** Reads the Changed Namespace List after a namespace-attribute notice and rescans. */
export function handleNamespaceNotice(core: LinuxCore): void {
  const buf = identifyBuffer(core);
  const numd = IDENTIFY_DATA_SIZE / 4 - 1;
  adminCommand(core, "Get Log Page Changed Namespace List", {
    admin: true,
    opcode: AdminOpcode.GET_LOG_PAGE,
    nsid: 0xffff_ffff,
    cdw10: ((numd & 0xffff) << 16 | LogPageId.CHANGED_NS) >>> 0,
    data: [{ addr: buf, length: IDENTIFY_DATA_SIZE }],
  });
  if (core.info) core.info = { ...core.info, namespaces: scanNamespaces(core) };
}
