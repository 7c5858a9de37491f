/**
 * Host-side checks and counting of the qtest HostPort's accesses, kept out of `host_port.ts`:
 * BAR0 accesses are classified for the counters (SQ tail doorbell, CQ head doorbell, other) and
 * checked against BAR0's size (refused), width and alignment (recorded, still sent to QEMU, whose
 * own answer is what a case wants to see); configuration accesses are checked for alignment and
 * range, including the 256 bytes the legacy mechanism reaches when ECAM is off.
 *
 * @module
 */

import type { Counters } from "../counters.ts";
import { type FindingsRegistry, PLATFORM_RULES } from "../findings.ts";
import { CONFIG_SPACE_BYTES } from "../pci_config.ts";
import { decodeDoorbell } from "../../spec/doorbell.ts";

/** Counts a BAR0 access by register class; false (with a finding) when it falls outside BAR0. */
export function checkMmio(
  counters: Counters,
  findings: FindingsRegistry,
  bar0Size: number,
  dstrd: number,
  offset: number,
  size: number,
  write: boolean,
): boolean {
  const what = () =>
    `${size}-byte MMIO ${write ? "write" : "read"} at BAR0+0x${Number(offset).toString(16)}`;
  if (!(Number.isInteger(offset) && offset >= 0 && offset + size <= bar0Size)) {
    findings.report(PLATFORM_RULES.mmioRange, `${what()}: outside BAR0; not sent`, 0);
    return false;
  }
  if (size !== 4 && size !== 8) {
    findings.report(PLATFORM_RULES.mmioWidth, `${what()}: sent to QEMU anyway`, 0);
  } else if (offset % size !== 0) {
    findings.report(PLATFORM_RULES.mmioAlign, `${what()}: sent to QEMU anyway`, 0);
  }
  const db = decodeDoorbell(offset, dstrd);
  const c = counters;
  if (write) {
    c.mmioWrites++;
    if (db === null) c.otherRegisterWrites++;
    else if (db.isCq) c.cqDoorbellWrites++;
    else c.sqDoorbellWrites++;
  } else {
    c.mmioReads++;
    if (db === null) c.otherRegisterReads++;
    else if (db.isCq) c.cqDoorbellReads++;
    else c.sqDoorbellReads++;
  }
  return true;
}

/** True when a configuration access may be sent; otherwise records why and returns false. */
export function checkConfig(
  findings: FindingsRegistry,
  reachable: number,
  offset: number,
  size: number,
  write: boolean,
): boolean {
  const inRange = Number.isInteger(offset) && offset >= 0 && offset + size <= CONFIG_SPACE_BYTES;
  if (inRange && offset % size === 0 && offset + size <= reachable) return true;
  const what = `${size}-byte config ${write ? "write" : "read"} at 0x${
    Number(offset).toString(16)
  }`;
  if (!inRange) {
    findings.report(PLATFORM_RULES.configRange, `${what}: outside 0..0xfff`, 0);
  } else if (offset % size !== 0) {
    findings.report(PLATFORM_RULES.configAlign, `${what}: not naturally aligned`, 0);
  } else {
    findings.report(
      PLATFORM_RULES.configRange,
      `${what}: beyond the ${reachable} bytes the legacy mechanism reaches (no ECAM)`,
      0,
    );
  }
  return false;
}
