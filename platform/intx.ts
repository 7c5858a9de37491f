/**
 * The INTx pin of one function: level-triggered. The device sets the level it wants (the NVMe
 * rules for when — INTMS/INTMC, per-vector status — belong to the controller); the line is seen
 * asserted by the host while that level is high and the Command register's Interrupt Disable is
 * clear. Status.Interrupt Status mirrors the device level.
 *
 * @example
 * ```ts
 * import { IntxLine } from "./intx.ts";
 * const line = new IntxLine();
 * line.setLevel(true);
 * line.setDisabled(true);
 * if (line.asserted) throw new Error("Interrupt Disable hides the level");
 * line.setDisabled(false);
 * if (!line.asserted || line.risingEdges !== 2) throw new Error(); // high, hidden, visible again
 * ```
 *
 * @module
 */

/** A level-triggered INTx line. */
export class IntxLine {
  #level = false;
  #disabled = false;
  #risingEdges = 0;
  /** Called when the asserted state the host sees changes. */
  onChange: ((asserted: boolean) => void) | undefined;

  /** Creates a deasserted, enabled line. */
  constructor(onChange?: (asserted: boolean) => void) {
    this.onChange = onChange;
  }

  /** The level the device drives. */
  get level(): boolean {
    return this.#level;
  }

  /** Command.Interrupt Disable. */
  get disabled(): boolean {
    return this.#disabled;
  }

  /** What the host sees: level high and not disabled. */
  get asserted(): boolean {
    return this.#level && !this.#disabled;
  }

  /** Times the host-visible line went from deasserted to asserted. */
  get risingEdges(): number {
    return this.#risingEdges;
  }

  /** The device drives `level`. */
  setLevel(level: boolean): void {
    const before = this.asserted;
    this.#level = level;
    this.#changed(before);
  }

  /** The host sets or clears Interrupt Disable. */
  setDisabled(disabled: boolean): void {
    const before = this.asserted;
    this.#disabled = disabled;
    this.#changed(before);
  }

  /** Deasserts and re-enables the line (reset). */
  reset(): void {
    const before = this.asserted;
    this.#level = false;
    this.#disabled = false;
    this.#changed(before);
  }

  #changed(before: boolean): void {
    const now = this.asserted;
    if (now === before) return;
    if (now) this.#risingEdges++;
    this.onChange?.(now);
  }
}
