/**
 * Command identifier layout with a generation counter, as Linux builds it (`nvme_cid`): the low
 * 12 bits are the request tag, the high 4 bits a generation that changes every time the tag is
 * reused, so a late or duplicated completion for an old use of the tag is recognised as stale.
 * The spec only requires a CID to be unique among outstanding commands of one SQ (Base 2.1
 * §4.1.1, CDW0.CID); the generation is a host-side defence.
 *
 * @example
 * ```ts
 * import { cidGeneration, cidTag, makeCid, nextGeneration } from "./command_id.ts";
 * const cid = makeCid(31, 0xf);
 * if (cidTag(cid) !== 31 || cidGeneration(cid) !== 0xf || nextGeneration(0xf) !== 0) throw new Error();
 * ```
 *
 * @module
 */

/** Number of tag bits in a CID. */
export const CID_TAG_BITS = 12;
/** Mask of the tag bits. */
export const CID_TAG_MASK = (1 << CID_TAG_BITS) - 1;
/** Mask of the generation counter (4 bits). */
export const CID_GENERATION_MASK = 0xf;
/** Largest tag: queue depths above 4096 cannot use this layout (Linux caps depth at 4095). */
export const CID_MAX_TAG: number = CID_TAG_MASK;

/** Builds a CID from a tag (0..4095) and a generation (only the low 4 bits are used). */
export function makeCid(tag: number, generation: number): number {
  return ((generation & CID_GENERATION_MASK) << CID_TAG_BITS) | (tag & CID_TAG_MASK);
}

/** The tag part of a CID. */
export function cidTag(cid: number): number {
  return cid & CID_TAG_MASK;
}

/** The generation part of a CID. */
export function cidGeneration(cid: number): number {
  return (cid >>> CID_TAG_BITS) & CID_GENERATION_MASK;
}

/** The generation after `generation`, wrapping at 16. */
export function nextGeneration(generation: number): number {
  return (generation + 1) & CID_GENERATION_MASK;
}
