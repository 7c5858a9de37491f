/**
 * Per-simulation counters: plain number fields on one preallocated object, so incrementing one is
 * a property store (no Map lookup, no allocation). Commands by opcode live in two 256-entry typed
 * arrays. `snapshot()` copies everything into a plain object; `reset()` zeroes it.
 *
 * Who counts what: the machine counts MMIO (by register class), config accesses, DMA, interrupts
 * raised/delivered/masked, host waits, wake-ups, polls and preemptions; the controller calls
 * {@linkcode Counters.command}, {@linkcode Counters.completion} and
 * {@linkcode Counters.coalesced}.
 *
 * @example
 * ```ts
 * import { Counters } from "./counters.ts";
 * const c = new Counters();
 * c.command(false, 0x02);
 * c.completion();
 * const s = c.snapshot();
 * if (s.ioCommands !== 1 || s.ioByOpcode["0x02"] !== 1 || s.completions !== 1) throw new Error();
 * ```
 *
 * @module
 */

/** Names of the scalar counters, in snapshot order. */
export const COUNTER_NAMES = [
  "mmioReads",
  "mmioWrites",
  "sqDoorbellWrites",
  "cqDoorbellWrites",
  "otherRegisterWrites",
  "sqDoorbellReads",
  "cqDoorbellReads",
  "otherRegisterReads",
  "configReads",
  "configWrites",
  "hostMemReads",
  "hostMemWrites",
  "interruptsRaised",
  "interruptsDelivered",
  "interruptsCoalesced",
  "interruptsMasked",
  "intxAssertions",
  "dmaReads",
  "dmaWrites",
  "dmaReadBytes",
  "dmaWriteBytes",
  "dmaFaults",
  "commands",
  "adminCommands",
  "ioCommands",
  "completions",
  "waits",
  "wakeups",
  "waitTimeouts",
  "sleeps",
  "polls",
  "preemptionPoints",
  "preemptions",
] as const;

/** One scalar counter name. */
export type CounterName = typeof COUNTER_NAMES[number];

/** A copy of every counter at one moment. */
export type CountersSnapshot = { -readonly [K in CounterName]: number } & {
  /** Admin commands by opcode, keyed `0xNN`, non-zero entries only. */
  adminByOpcode: Record<string, number>;
  /** I/O commands by opcode, keyed `0xNN`, non-zero entries only. */
  ioByOpcode: Record<string, number>;
};

const OPCODES = 256;

/** The live counters of one simulation. Fields may be read and incremented directly. */
export class Counters {
  /** MMIO reads of BAR0, all classes. */
  mmioReads = 0;
  /** MMIO writes to BAR0, all classes. */
  mmioWrites = 0;
  /** MMIO writes to a Submission Queue Tail doorbell. */
  sqDoorbellWrites = 0;
  /** MMIO writes to a Completion Queue Head doorbell. */
  cqDoorbellWrites = 0;
  /** MMIO writes to any other offset (registers, MSI-X table, PBA). */
  otherRegisterWrites = 0;
  /** MMIO reads of a Submission Queue Tail doorbell. */
  sqDoorbellReads = 0;
  /** MMIO reads of a Completion Queue Head doorbell. */
  cqDoorbellReads = 0;
  /** MMIO reads of any other offset. */
  otherRegisterReads = 0;
  /** PCI configuration reads. */
  configReads = 0;
  /** PCI configuration writes. */
  configWrites = 0;
  /** Host CPU reads of host memory (calls, not bytes). */
  hostMemReads = 0;
  /** Host CPU writes of host memory (calls, not bytes). */
  hostMemWrites = 0;
  /** Interrupts the device signalled (MSI-X notifications and INTx assertions). */
  interruptsRaised = 0;
  /** Interrupts that reached the host (MSI-X messages sent, INTx lines seen asserted). */
  interruptsDelivered = 0;
  /** Interrupts the controller merged into another (interrupt coalescing); controller-counted. */
  interruptsCoalesced = 0;
  /** MSI-X notifications that found their vector masked and set its pending bit. */
  interruptsMasked = 0;
  /** INTx rising edges (line asserted and not disabled). */
  intxAssertions = 0;
  /** Device DMA reads of host memory (calls). */
  dmaReads = 0;
  /** Device DMA writes of host memory (calls). */
  dmaWrites = 0;
  /** Bytes the device read from host memory. */
  dmaReadBytes = 0;
  /** Bytes the device wrote to host memory. */
  dmaWriteBytes = 0;
  /** DMAs refused (unmapped, forbidden, out of range, bus master disabled). */
  dmaFaults = 0;
  /** Commands the controller fetched (admin + I/O). */
  commands = 0;
  /** Admin commands fetched. */
  adminCommands = 0;
  /** I/O commands fetched. */
  ioCommands = 0;
  /** Completion queue entries the controller posted. */
  completions = 0;
  /** Host waits for an interrupt. */
  waits = 0;
  /** Host waits that returned because of an interrupt. */
  wakeups = 0;
  /** Host waits that timed out. */
  waitTimeouts = 0;
  /** Host sleeps. */
  sleeps = 0;
  /** Host polls. */
  polls = 0;
  /** Preemption points reached while preemption is on. */
  preemptionPoints = 0;
  /** Preemption points at which device work actually ran. */
  preemptions = 0;
  /** Admin commands by opcode. */
  readonly adminByOpcode: Float64Array = new Float64Array(OPCODES);
  /** I/O commands by opcode. */
  readonly ioByOpcode: Float64Array = new Float64Array(OPCODES);

  /** The controller fetched a command with `opcode` from an admin (`admin`) or I/O queue. */
  command(admin: boolean, opcode: number): void {
    this.commands++;
    if (admin) {
      this.adminCommands++;
      this.adminByOpcode[opcode & 0xff]++;
    } else {
      this.ioCommands++;
      this.ioByOpcode[opcode & 0xff]++;
    }
  }

  /** The controller posted a completion queue entry. */
  completion(): void {
    this.completions++;
  }

  /** The controller coalesced `n` interrupts (default 1) into a later one. */
  coalesced(n = 1): void {
    this.interruptsCoalesced += n;
  }

  /** A plain-object copy of every counter. */
  snapshot(): CountersSnapshot {
    const s = {} as Record<string, unknown>;
    for (const name of COUNTER_NAMES) s[name] = this[name];
    s.adminByOpcode = byOpcode(this.adminByOpcode);
    s.ioByOpcode = byOpcode(this.ioByOpcode);
    return s as CountersSnapshot;
  }

  /** Zeroes every counter. */
  reset(): void {
    for (const name of COUNTER_NAMES) this[name] = 0;
    this.adminByOpcode.fill(0);
    this.ioByOpcode.fill(0);
  }
}

function byOpcode(a: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (let op = 0; op < a.length; op++) {
    if (a[op] !== 0) out[`0x${op.toString(16).padStart(2, "0")}`] = a[op];
  }
  return out;
}
