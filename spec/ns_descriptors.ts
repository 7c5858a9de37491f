/**
 * The Namespace Identification Descriptor list (Identify CNS 03h, Base 2.1 §5.1.13.2.3): a
 * 4096-byte buffer of descriptors, each a 4-byte header (NIDT, NIDL, reserved) followed by NIDL
 * bytes of identifier, ended by a descriptor with NIDT 0 or by the end of the buffer.
 *
 * The decoder accepts anything a device might return: it never throws on a buffer of any length
 * and reports why it stopped, so a conformance case can flag an overrun instead of crashing.
 *
 * @example Encode and decode a list
 * ```ts
 * import { decodeNsDescriptorList, encodeNsDescriptorList, Nidt } from "./ns_descriptors.ts";
 * const bytes = encodeNsDescriptorList([{ nidt: Nidt.CSI, nid: new Uint8Array([0]) }]);
 * if (decodeNsDescriptorList(bytes)[0].nidt !== Nidt.CSI) throw new Error("round trip");
 * ```
 *
 * @module
 */

import { IDENTIFY_DATA_SIZE } from "./identify_controller.ts";
import { defineStruct, type Layout, rsvd, u8 } from "./struct.ts";
import type { NsIdDescriptorHeaderValue } from "./value_types.ts";

/** Size of the descriptor header in bytes. */
export const NS_DESCRIPTOR_HEADER_SIZE = 4;

/** Size of the whole Namespace Identification Descriptor list (an Identify data buffer). */
export const NS_DESCRIPTOR_LIST_SIZE: number = IDENTIFY_DATA_SIZE;

/** Largest NIDL a one-byte length field can carry. */
export const MAX_NIDL = 255;

/**
 * The Namespace Identification Descriptor header (Base 2.1 §5.1.13.2.3): libnvme
 * `struct nvme_ns_id_desc` without its flexible `nid[]` array member.
 */
export const NsIdDescriptorHeader: Layout<NsIdDescriptorHeaderValue> = defineStruct(
  "NsIdDescriptorHeader",
  NS_DESCRIPTOR_HEADER_SIZE,
  [
    u8("nidt", 0), // Namespace Identifier Type
    u8("nidl", 1), // Namespace Identifier Length, bytes after the header
    rsvd(2, 2),
  ],
  {
    section: "Base 2.1 §5.1.13.2.3 (Namespace Identification Descriptor)",
    libnvme: "nvme_ns_id_desc",
  },
);

/** Namespace Identifier Types (NIDT). */
export const Nidt = {
  /** IEEE Extended Unique Identifier (EUI-64). */
  EUI64: 1,
  /** Namespace Globally Unique Identifier (NGUID). */
  NGUID: 2,
  /** Namespace UUID (RFC 9562). */
  UUID: 3,
  /** Command Set Identifier (CSI). */
  CSI: 4,
} as const;

/** The NIDL each defined NIDT requires. */
export const NIDT_LENGTH: Readonly<Record<number, number>> = {
  [Nidt.EUI64]: 8,
  [Nidt.NGUID]: 16,
  [Nidt.UUID]: 16,
  [Nidt.CSI]: 1,
};

/** One descriptor: its type and identifier bytes (NIDL is `nid.length`). */
export interface NsDescriptor {
  /** Namespace Identifier Type, 1..255 (0 terminates a list). */
  nidt: number;
  /** Namespace Identifier, NIDL bytes. */
  nid: Uint8Array;
}

/** Why {@linkcode scanNsDescriptorList} stopped. */
export type NsDescriptorListStop =
  /** A header with NIDT 0 (the normal end). */
  | "terminator"
  /** The buffer ended exactly after a descriptor, or too few bytes remain for a header. */
  | "end"
  /** A descriptor's NIDL runs past the end of the buffer. */
  | "overrun";

/** The result of scanning a descriptor list. */
export interface NsDescriptorListScan {
  /** The descriptors before the stop, in order. */
  descriptors: NsDescriptor[];
  /** Why the scan stopped. */
  stop: NsDescriptorListStop;
  /** Byte offset where the scan stopped. */
  offset: number;
}

/** Thrown by {@linkcode encodeNsDescriptorList} for a list that cannot be encoded. */
export class NsDescriptorListError extends RangeError {
  /** Creates the error. */
  constructor(problem: string) {
    super(`Namespace Identification Descriptor list: ${problem}`);
    this.name = "NsDescriptorListError";
  }
}

/**
 * Encodes descriptors into a zero-filled buffer of `size` bytes (default 4096); the zero bytes
 * after the last descriptor act as the NIDT 0 terminator. Throws
 * {@linkcode NsDescriptorListError} when a descriptor has NIDT 0 or outside 1..255, an identifier
 * longer than 255 bytes, or the list does not fit.
 */
export function encodeNsDescriptorList(
  list: readonly NsDescriptor[],
  size: number = NS_DESCRIPTOR_LIST_SIZE,
): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const [i, d] of list.entries()) {
    if (!Number.isInteger(d.nidt) || d.nidt < 1 || d.nidt > 0xff) {
      throw new NsDescriptorListError(`descriptor ${i} has NIDT ${d.nidt}; use 1..255`);
    }
    if (d.nid.length > MAX_NIDL) {
      throw new NsDescriptorListError(`descriptor ${i} has ${d.nid.length} identifier bytes`);
    }
    const next = at + NS_DESCRIPTOR_HEADER_SIZE + d.nid.length;
    if (next > size) throw new NsDescriptorListError(`descriptor ${i} ends past byte ${size}`);
    NsIdDescriptorHeader.encode({ nidt: d.nidt, nidl: d.nid.length }, out, at);
    out.set(d.nid, at + NS_DESCRIPTOR_HEADER_SIZE);
    at = next;
  }
  return out;
}

/**
 * Scans a descriptor list of any length without throwing: stops at a NIDT 0 header, at the end
 * of the buffer, or at a descriptor whose identifier would run past the end.
 */
export function scanNsDescriptorList(bytes: Uint8Array): NsDescriptorListScan {
  const descriptors: NsDescriptor[] = [];
  let at = 0;
  while (at + NS_DESCRIPTOR_HEADER_SIZE <= bytes.length) {
    const { nidt, nidl } = NsIdDescriptorHeader.decode(bytes, at);
    if (nidt === 0) return { descriptors, stop: "terminator", offset: at };
    const start = at + NS_DESCRIPTOR_HEADER_SIZE;
    if (start + nidl > bytes.length) return { descriptors, stop: "overrun", offset: at };
    descriptors.push({ nidt, nid: bytes.slice(start, start + nidl) });
    at = start + nidl;
  }
  return { descriptors, stop: "end", offset: at };
}

/** Decodes the descriptors of a list; see {@linkcode scanNsDescriptorList} for the stop rules. */
export function decodeNsDescriptorList(bytes: Uint8Array): NsDescriptor[] {
  return scanNsDescriptorList(bytes).descriptors;
}

/**
 * Checks one descriptor against the spec: a defined NIDT must carry its defined NIDL. Returns a
 * message, or null when the descriptor is valid (undefined NIDTs are reserved, and reported).
 */
export function nsDescriptorProblem(d: NsDescriptor): string | null {
  const want = NIDT_LENGTH[d.nidt];
  if (want === undefined) return `NIDT ${d.nidt} is reserved`;
  if (d.nid.length !== want) return `NIDT ${d.nidt} needs NIDL ${want}, got ${d.nid.length}`;
  return null;
}
