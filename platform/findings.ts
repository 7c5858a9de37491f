/**
 * The findings registry: every protocol violation either side commits is recorded here with an
 * id in `group.rule` form, the side that committed it, a severity, the spec section, a message and
 * the virtual time. Findings are data, not exceptions: a run continues and reports them all.
 *
 * Platform rules (DMA, MMIO, PCI config, MSI-X, INTx) are declared once in
 * {@linkcode PLATFORM_RULES}; the controller and driver declare their own rules the same way.
 *
 * @example
 * ```ts
 * import { FindingsRegistry, PLATFORM_RULES } from "./findings.ts";
 * const findings = new FindingsRegistry({ now: 0 });
 * findings.report(PLATFORM_RULES.mmioWidth, "1-byte read at BAR0+0x1c");
 * if (!findings.has("mmio.width") || findings.count({ group: "mmio" }) !== 1) throw new Error();
 * ```
 *
 * @module
 */

import type { VirtualClock } from "./scheduler.ts";

/** Who committed a violation. "platform" is the machine itself observing an illegal transaction
 * whose attribution is left to the checkers (e.g. a DMA outside the IOMMU map). */
export type FindingSide = "host" | "device" | "platform";

/** How bad a finding is: an error breaks a "shall", a warning a "should" or a harness policy. */
export type FindingSeverity = "error" | "warning";

/** A rule that can be broken: the static half of a finding. */
export interface FindingRule {
  /** Identifier in `group.rule` form, e.g. `dma.unmapped`. */
  readonly id: string;
  /** Side that breaks the rule. */
  readonly side: FindingSide;
  /** Severity of a violation. */
  readonly severity: FindingSeverity;
  /** Where the rule is stated, e.g. "PCIe Base 5.0 §7.5.1.1.3". */
  readonly section: string;
  /** One-line statement of the rule. */
  readonly summary: string;
}

/** What a recorder supplies to {@linkcode FindingsRegistry.record}. */
export interface FindingInit {
  /** Identifier in `group.rule` form. */
  readonly id: string;
  /** Side that committed the violation. */
  readonly side: FindingSide;
  /** Severity. */
  readonly severity: FindingSeverity;
  /** Spec section. */
  readonly section: string;
  /** What happened, with the values involved. */
  readonly message: string;
  /** PCI function index the finding concerns, or -1 (default) for none. */
  readonly fn?: number;
}

/** One recorded violation. */
export interface Finding extends FindingInit {
  /** PCI function index, or -1. */
  readonly fn: number;
  /** Virtual time of the violation in nanoseconds. */
  readonly timeNs: number;
}

/** Query for {@linkcode FindingsRegistry.filter}; every given field must match. */
export interface FindingFilter {
  /** Exact id. */
  readonly id?: string;
  /** Id group: the part before the first dot (`dma` matches `dma.unmapped`). */
  readonly group?: string;
  /** Side. */
  readonly side?: FindingSide;
  /** Severity. */
  readonly severity?: FindingSeverity;
  /** PCI function index. */
  readonly fn?: number;
}

/** The rules the platform itself checks. */
export const PLATFORM_RULES = {
  /** DMA outside what the host mapped in the IOMMU. */
  dmaUnmapped: rule(
    "dma.unmapped",
    "platform",
    "error",
    "PCIe Base 5.0 §10.1 (address translation); Base 2.1 §4.3 (data pointers)",
    "a device DMA touched host memory the host did not map for it",
  ),
  /** DMA in a direction the mapping does not allow. */
  dmaPermission: rule(
    "dma.permission",
    "platform",
    "error",
    "PCIe Base 5.0 §10.1 (address translation)",
    "a device DMA wrote a range mapped read-only (or read a write-only range)",
  ),
  /** DMA beyond the physical address space. */
  dmaRange: rule(
    "dma.range",
    "platform",
    "error",
    "PCIe Base 5.0 §2.2.4.1 (address routing)",
    "a device DMA addressed memory beyond the simulated physical address space",
  ),
  /** DMA while Bus Master Enable is clear. */
  dmaBusMaster: rule(
    "dma.bus_master",
    "platform",
    "error",
    "PCIe Base 5.0 §7.5.1.1.3 (Command register, Bus Master Enable)",
    "a function issued a memory request while Bus Master Enable was clear",
  ),
  /** MMIO access of a width other than 32 or 64 bits, or 64 bits where only 32 are allowed. */
  mmioWidth: rule(
    "mmio.width",
    "host",
    "error",
    "PCIe Transport 1.1 §3.1 (register access width)",
    "controller registers are accessed with 32-bit or 64-bit accesses of their own width",
  ),
  /** MMIO access not naturally aligned. */
  mmioAlign: rule(
    "mmio.align",
    "host",
    "error",
    "PCIe Transport 1.1 §3.1 (register access alignment)",
    "controller register accesses are naturally aligned",
  ),
  /** MMIO beyond the BAR. */
  mmioRange: rule(
    "mmio.range",
    "host",
    "error",
    "PCIe Base 5.0 §7.5.1.2.1 (Base Address registers)",
    "an MMIO access fell outside BAR0",
  ),
  /** MMIO while Memory Space Enable is clear. */
  mmioDecode: rule(
    "mmio.decode_disabled",
    "host",
    "error",
    "PCIe Base 5.0 §7.5.1.1.3 (Command register, Memory Space Enable)",
    "an MMIO access reached a function whose Memory Space Enable is clear",
  ),
  /** Write to the read-only Pending Bit Array. */
  msixPbaWrite: rule(
    "msix.pba_write",
    "host",
    "warning",
    "PCIe Base 5.0 §7.7.2.8 (MSI-X PBA: read-only)",
    "the host wrote the MSI-X Pending Bit Array, which is read-only",
  ),
  /** Device signalled a vector outside the table. */
  msixVector: rule(
    "msix.vector_range",
    "device",
    "error",
    "PCIe Base 5.0 §6.1.4.2 (MSI-X table size)",
    "a device signalled an MSI-X vector beyond the table size",
  ),
  /** Device signalled MSI-X while MSI-X is disabled. */
  msixDisabled: rule(
    "msix.disabled",
    "device",
    "error",
    "PCIe Base 5.0 §6.1.4 (MSI-X Enable)",
    "a device signalled MSI-X while MSI-X Enable was clear",
  ),
  /** MSI-X message dropped because Bus Master Enable is clear. */
  msixBusMaster: rule(
    "msix.bus_master",
    "host",
    "warning",
    "PCIe Base 5.0 §7.5.1.1.3 (Bus Master Enable gates MSI/MSI-X)",
    "an MSI-X message was dropped because the host left Bus Master Enable clear",
  ),
  /** INTx asserted while MSI-X is enabled. */
  intxWithMsix: rule(
    "intx.msix_enabled",
    "device",
    "error",
    "PCIe Base 5.0 §6.1.4 (a function using MSI-X shall not use INTx)",
    "a device asserted INTx while MSI-X was enabled",
  ),
  /** Misaligned PCI configuration access. */
  configAlign: rule(
    "pci.config_align",
    "host",
    "error",
    "PCIe Base 5.0 §7.2 (configuration requests are dword-based)",
    "a configuration access crossed a naturally aligned boundary",
  ),
  /** Configuration access beyond the 4 KiB configuration space. */
  configRange: rule(
    "pci.config_range",
    "host",
    "error",
    "PCIe Base 5.0 §7.2.2 (4 KiB configuration space)",
    "a configuration access fell outside the 4 KiB configuration space",
  ),
} as const satisfies Record<string, FindingRule>;

function rule(
  id: string,
  side: FindingSide,
  severity: FindingSeverity,
  section: string,
  summary: string,
): FindingRule {
  return Object.freeze({ id, side, severity, section, summary });
}

/** Options of a {@linkcode FindingsRegistry}. */
export interface FindingsOptions {
  /** Keep at most this many findings in full; later ones are only counted (default 10000). */
  readonly limit?: number;
}

const DEFAULT_LIMIT = 10_000;

/** Records findings, stamped with virtual time, and answers queries about them. */
export class FindingsRegistry {
  readonly #clock: VirtualClock;
  readonly #limit: number;
  #list: Finding[] = [];
  #counts = new Map<string, number>();
  #dropped = 0;
  /** Called for every finding recorded (kept or dropped); the machine hooks tracing here. */
  onRecord: ((finding: Finding) => void) | undefined = undefined;

  /** Creates an empty registry reading time from `clock`. */
  constructor(clock: VirtualClock, options: FindingsOptions = {}) {
    this.#clock = clock;
    this.#limit = options.limit ?? DEFAULT_LIMIT;
  }

  /** Records a violation and returns it. */
  record(init: FindingInit): Finding {
    const finding: Finding = Object.freeze({ ...init, fn: init.fn ?? -1, timeNs: this.#clock.now });
    this.#counts.set(finding.id, (this.#counts.get(finding.id) ?? 0) + 1);
    if (this.#list.length < this.#limit) this.#list.push(finding);
    else this.#dropped++;
    this.onRecord?.(finding);
    return finding;
  }

  /** Records a violation of a declared rule. */
  report(rule: FindingRule, message: string, fn = -1): Finding {
    return this.record({
      id: rule.id,
      side: rule.side,
      severity: rule.severity,
      section: rule.section,
      message,
      fn,
    });
  }

  /** Every kept finding, oldest first. */
  all(): readonly Finding[] {
    return this.#list;
  }

  /** Kept findings matching `filter`. */
  filter(filter: FindingFilter = {}): Finding[] {
    return this.#list.filter((f) => matches(f, filter));
  }

  /** Number of findings matching `filter` (among kept ones; `countById` includes dropped). */
  count(filter: FindingFilter = {}): number {
    let n = 0;
    for (const f of this.#list) if (matches(f, filter)) n++;
    return n;
  }

  /** True when a finding with this exact id, or in this group (no dot), was recorded. */
  has(idOrGroup: string): boolean {
    if (idOrGroup.includes(".")) return this.#counts.has(idOrGroup);
    for (const id of this.#counts.keys()) if (groupOf(id) === idOrGroup) return true;
    return false;
  }

  /** Count of every id ever recorded since the last clear, including dropped findings. */
  countById(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
  }

  /** Total findings recorded since the last clear, including dropped ones. */
  get total(): number {
    return this.#list.length + this.#dropped;
  }

  /** Findings beyond the limit that were counted but not kept. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Forgets every finding. */
  clear(): void {
    this.#list = [];
    this.#counts.clear();
    this.#dropped = 0;
  }
}

function groupOf(id: string): string {
  const dot = id.indexOf(".");
  return dot < 0 ? id : id.slice(0, dot);
}

function matches(f: Finding, q: FindingFilter): boolean {
  return (q.id === undefined || f.id === q.id) &&
    (q.group === undefined || groupOf(f.id) === q.group) &&
    (q.side === undefined || f.side === q.side) &&
    (q.severity === undefined || f.severity === q.severity) &&
    (q.fn === undefined || f.fn === q.fn);
}
