/**
 * Lists of identifiers that fill a 4096-byte buffer:
 *
 * - the Namespace List (Base 2.1 §4.6.2; returned by Identify CNS 02h "Active Namespace ID
 *   list", §5.1.13.2.2, CNS 10h, …): 1024 NSIDs in increasing order, zero-filled after the last;
 * - the Changed Namespace List log page (Log Identifier 04h, Base 2.1 §5.1.12.1.5), same layout,
 *   where a first entry of FFFFFFFFh means more than 1024 namespaces changed;
 * - the Controller List (Base 2.1 §4.6.1; returned by Identify CNS 12h, §5.1.13.2.11, and CNS
 *   13h, §5.1.13.2.12): a count and up to 2047 controller identifiers.
 *
 * @module
 */

import { IDENTIFY_DATA_SIZE } from "./identify_controller.ts";
import { defineStruct, type Layout, u16, uints } from "./struct.ts";
import type {
  ChangedNamespaceListValue,
  ControllerListValue,
  NamespaceListValue,
} from "./value_types.ts";

/** Entries in a Namespace List: 4096 bytes / 4 bytes per NSID. */
export const NS_LIST_ENTRIES = 1024;

/** Entries in a Controller List after its 2-byte count. */
export const CTRL_LIST_ENTRIES = 2047;

/** The Changed Namespace List's overflow marker: more than 1024 namespaces changed. */
export const CHANGED_NS_LIST_OVERFLOW = 0xffff_ffff;

/** Namespace List (Base 2.1 §4.6.2): 1024 NSIDs, libnvme `struct nvme_ns_list`. */
export const NamespaceList: Layout<NamespaceListValue> = defineStruct(
  "NamespaceList",
  IDENTIFY_DATA_SIZE,
  [
    uints("ns", 0, NS_LIST_ENTRIES, 4),
  ],
  {
    section: "Base 2.1 §4.6.2 (Namespace List)",
    libnvme: "nvme_ns_list",
  },
);

/**
 * Changed Namespace List log page (LID 04h, Base 2.1 §5.1.12.1.5): a Namespace List. libnvme
 * reads it into the same `struct nvme_ns_list`.
 */
export const ChangedNamespaceList: Layout<ChangedNamespaceListValue> = defineStruct(
  "ChangedNamespaceList",
  IDENTIFY_DATA_SIZE,
  [
    uints("ns", 0, NS_LIST_ENTRIES, 4),
  ],
  {
    section: "Base 2.1 §5.1.12.1.5 (Changed Namespace List log page)",
    libnvme: "nvme_ns_list",
  },
);

/** Controller List (Base 2.1 §4.6.1): libnvme `struct nvme_ctrl_list`. */
export const ControllerList: Layout<ControllerListValue> = defineStruct(
  "ControllerList",
  IDENTIFY_DATA_SIZE,
  [
    u16("num", 0), // Number of Identifiers
    uints("identifier", 2, CTRL_LIST_ENTRIES, 2),
  ],
  {
    section: "Base 2.1 §4.6.1 (Controller List)",
    libnvme: "nvme_ctrl_list",
  },
);

/**
 * The NSIDs of a decoded Namespace List: the entries before the first zero (the list is
 * zero-filled after its last entry).
 */
export function nsidsOf(ns: readonly number[]): number[] {
  const end = ns.indexOf(0);
  return ns.slice(0, end < 0 ? ns.length : end);
}

/** Thrown when a Namespace List or Controller List cannot hold the given identifiers. */
export class IdListError extends RangeError {
  /** Creates the error. */
  constructor(problem: string) {
    super(problem);
    this.name = "IdListError";
  }
}

/**
 * Encodes NSIDs as a Namespace List. The spec requires valid NSIDs (1..FFFFFFFEh) in increasing
 * order; both are checked, and more than 1024 NSIDs do not fit.
 */
export function encodeNamespaceList(nsids: readonly number[]): Uint8Array {
  if (nsids.length > NS_LIST_ENTRIES) {
    throw new IdListError(`${nsids.length} NSIDs do not fit a ${NS_LIST_ENTRIES}-entry list`);
  }
  for (let i = 0; i < nsids.length; i++) {
    const bad = nsids[i] === 0 || nsids[i] >= CHANGED_NS_LIST_OVERFLOW;
    if (bad || (i > 0 && nsids[i] <= nsids[i - 1])) {
      throw new IdListError(`NSID list must hold increasing valid NSIDs (entry ${i})`);
    }
  }
  return NamespaceList.encode({ ns: nsids });
}

/**
 * Encodes the Changed Namespace List log page for a set of changed NSIDs: the sorted NSIDs, or a
 * single FFFFFFFFh entry when more than 1024 changed (Base 2.1 §5.1.12.1.5).
 */
export function encodeChangedNamespaceList(nsids: readonly number[]): Uint8Array {
  if (nsids.length > NS_LIST_ENTRIES) {
    return ChangedNamespaceList.encode({ ns: [CHANGED_NS_LIST_OVERFLOW] });
  }
  return encodeNamespaceList([...nsids].sort((a, b) => a - b));
}

/** Encodes controller identifiers as a Controller List with its count. */
export function encodeControllerList(ids: readonly number[]): Uint8Array {
  if (ids.length > CTRL_LIST_ENTRIES) {
    throw new IdListError(`${ids.length} identifiers do not fit ${CTRL_LIST_ENTRIES} entries`);
  }
  return ControllerList.encode({ num: ids.length, identifier: ids });
}

/** The identifiers of a decoded Controller List (its first `num` entries, at most 2047). */
export function controllerIdsOf(list: { num: number; identifier: readonly number[] }): number[] {
  return list.identifier.slice(0, Math.min(list.num, CTRL_LIST_ENTRIES));
}
