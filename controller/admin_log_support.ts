/**
 * The log pages that say what the controller supports (Base 2.1 §5.1.12.1), which Identify LPA
 * bit 5 advertises together with the command scopes of the Commands Supported and Effects page:
 *
 * | LID | page                                                  | size   |
 * | --- | ----------------------------------------------------- | ------ |
 * | 00h | Supported Log Pages (§5.1.12.1.1)                      | 1024 B |
 * | 05h | Commands Supported and Effects (§5.1.12.1.6)           | 4096 B |
 * | 12h | Feature Identifiers Supported and Effects (§5.1.12.1.18) | 1024 B |
 * | 13h | NVMe-MI Commands Supported and Effects (§5.1.12.1.19)  | 4096 B |
 *
 * Each entry is one dword per identifier. Supported Log Pages sets LSUPP (bit 0) for every LID
 * Get Log Page serves; IOS (bit 1) stays 0 because index offsets (OT = 1) are refused. The
 * effects pages set the supported bit, the effects, and the scope (bits 31:20; the FID page
 * reports exactly one scope bit, as §5.1.12.1.18 requires). NVMe-MI Send/Receive are not
 * implemented (OACS bit 6 clear), so the NVMe-MI page lists no command: all zeros.
 *
 * @module
 */

import { CMD_EFFECTS_LOG_SIZE, CmdEffects, CommandScope } from "../spec/cmd_effects_log.ts";
import { FeatureId } from "../spec/features.ts";
import { AdminOpcode, NvmOpcode } from "../spec/opcodes.ts";
import { setUint } from "../spec/_bytes.ts";
import { ADMIN_HANDLERS } from "./admin_handlers.ts";
import { defaultFeatures } from "./admin_features.ts";
import type { NvmeController } from "./controller.ts";
import { IO_HANDLERS } from "./io_handlers.ts";

const DWORD = 4;
/** Supported Log Pages: one LID Supported and Effects dword for each of the 256 LIDs. */
export const SUPPORTED_LOG_PAGES_SIZE = 256 * DWORD;
/** Feature Identifiers Supported and Effects: one dword for each of the 256 FIDs. */
export const FID_EFFECTS_LOG_SIZE = 256 * DWORD;
/** NVMe-MI Commands Supported and Effects: 256 dwords, then reserved to 4095 (Figure 263). */
export const MI_EFFECTS_LOG_SIZE = 4096;
/** LID Supported and Effects bit 0: LID Supported (LSUPP), Base 2.1 §5.1.12.1.1. */
const LSUPP = 1 << 0;
/** FID Supported and Effects bit 0: FID Supported (FSUPP), Base 2.1 §5.1.12.1.18. */
const FSUPP = 1 << 0;

const effect = (bit: number) => 1 << bit;
/** A bit of the Command Scope field (bits 31:20). The FID Scope field of the FID page has the
 * same position and the same meaning for bits 5:0 (Base 2.1 §5.1.12.1.18). */
const scope = (bit: number) => (1 << (CmdEffects.CSP[0] + bit)) >>> 0;
const CSUPP = effect(CmdEffects.CSUPP);
const LBCC = effect(CmdEffects.LBCC);
const NCC = effect(CmdEffects.NCC);
const NIC = effect(CmdEffects.NIC);
const NAMESPACE = scope(CommandScope.NAMESPACE);
const CONTROLLER = scope(CommandScope.CONTROLLER);
const NVM_SUBSYSTEM = scope(CommandScope.NVM_SUBSYSTEM);

/**
 * Effects and scope beyond CSUPP, by admin opcode (§5.1.12.1.6). No command has execution
 * restrictions. Queue, event and feature commands act on this controller; namespace management
 * on the NVM subsystem (namespaces are the subsystem's); attachment on controllers and the
 * namespace; Format NVM on the namespaces it formats.
 */
const ADMIN_EFFECTS: ReadonlyMap<number, number> = new Map([
  [AdminOpcode.NS_MANAGEMENT, NIC | NVM_SUBSYSTEM], // namespaces created / deleted
  [AdminOpcode.NS_ATTACHMENT, NIC | CONTROLLER | NAMESPACE], // the active namespaces change
  // Data erased, size and format change (of all namespaces, for NSID FFFFFFFFh).
  [AdminOpcode.FORMAT_NVM, LBCC | NCC | NIC | NAMESPACE],
]);
/** Effects by I/O opcode; every NVM command acts on one namespace. */
const IO_EFFECTS: ReadonlyMap<number, number> = new Map([
  [NvmOpcode.WRITE, LBCC],
  [NvmOpcode.WRITE_UNCORRECTABLE, LBCC],
  [NvmOpcode.WRITE_ZEROES, LBCC],
  [NvmOpcode.DATASET_MANAGEMENT, LBCC], // deallocated blocks read as zeros
  [NvmOpcode.COPY, LBCC],
]);
const ACS_OFFSET = 0, IOCS_OFFSET = 1024;

/**
 * The FID scope of each supported feature. Every feature here is kept per controller except the
 * Volatile Write Cache: the reference's cache belongs to the subsystem's media, so turning it
 * off applies to every namespace (subsystem.ts).
 */
function featureScope(fid: number): number {
  return fid === FeatureId.VOLATILE_WRITE_CACHE ? NVM_SUBSYSTEM : CONTROLLER;
}

/**
 * Whether Get Features accepts `fid` on `ctrl`: the features admin_features.ts implements, less
 * Keep Alive Timer while KAS is 0. (Without a volatile write cache, Get Features still reports
 * WCE = 0 and only Set Features is refused, so the Volatile Write Cache FID stays listed.)
 */
export function featureSupported(ctrl: NvmeController, fid: number): boolean {
  if (fid === FeatureId.KEEP_ALIVE_TIMER && ctrl.options.kas === 0) return false;
  return defaultFeatures(ctrl).has(fid);
}

/** Whether the admin command `opcode` is accepted (Doorbell Buffer Config only if advertised). */
function adminSupported(ctrl: NvmeController, opcode: number): boolean {
  if (opcode === AdminOpcode.DOORBELL_BUFFER_CONFIG) return ctrl.options.shadowDoorbells;
  return ADMIN_HANDLERS.has(opcode);
}

/** Supported Log Pages (LID 00h, §5.1.12.1.1): LSUPP for each LID in `lids`. */
export function supportedLogPagesLog(lids: Iterable<number>, page: Uint8Array): number {
  for (const lid of lids) setUint(page, lid * DWORD, 4, LSUPP);
  return SUPPORTED_LOG_PAGES_SIZE;
}

/** Commands Supported and Effects (LID 05h, §5.1.12.1.6): CSUPP, effects and scope. */
export function commandEffectsLog(ctrl: NvmeController, page: Uint8Array): number {
  for (const op of ADMIN_HANDLERS.keys()) {
    if (!adminSupported(ctrl, op)) continue;
    const effects = ADMIN_EFFECTS.get(op) ?? CONTROLLER;
    setUint(page, ACS_OFFSET + op * DWORD, 4, (CSUPP | effects) >>> 0);
  }
  for (const op of IO_HANDLERS.keys()) {
    setUint(
      page,
      IOCS_OFFSET + op * DWORD,
      4,
      (CSUPP | (IO_EFFECTS.get(op) ?? 0) | NAMESPACE) >>> 0,
    );
  }
  return CMD_EFFECTS_LOG_SIZE;
}

/**
 * Feature Identifiers Supported and Effects (LID 12h, §5.1.12.1.18): FSUPP and one scope bit for
 * each supported FID. No feature changes user data, namespaces or controller capabilities.
 */
export function featureEffectsLog(ctrl: NvmeController, page: Uint8Array): number {
  for (const fid of defaultFeatures(ctrl).keys()) {
    if (featureSupported(ctrl, fid)) {
      setUint(page, fid * DWORD, 4, (FSUPP | featureScope(fid)) >>> 0);
    }
  }
  return FID_EFFECTS_LOG_SIZE;
}

/** NVMe-MI Commands Supported and Effects (LID 13h, §5.1.12.1.19): none (the page stays 0). */
export function miCommandEffectsLog(_page: Uint8Array): number {
  return MI_EFFECTS_LOG_SIZE;
}
