/**
 * Temperature of the reference controller and the Temperature Threshold feature (Base 2.1
 * §5.1.25.1.3): one sensor (the Composite Temperature, a constant 50 °C), with an over- and an
 * under-temperature threshold kept apart (THSEL). A temperature at or above the over threshold,
 * or at or below the under threshold, sets SMART Critical Warning bit 1 (Base 2.1 §5.1.12.1.3)
 * for as long as it lasts; going beyond a threshold is the moment a SMART / Health
 * "Temperature Threshold" asynchronous event is due (Base 2.1 §5.1.2.1), which the caller raises
 * when Asynchronous Event Configuration enables it.
 *
 * Sensors 1–8 (TMPSEL 1h–8h) are not implemented (their SMART fields read 0), so thresholds for
 * them are refused; TMPSEL Fh ("all sensors") means the composite one here.
 *
 * @example
 * ```ts
 * import { COMPOSITE_TEMPERATURE_K, Thermal, ThresholdSelect } from "./thermal.ts";
 * const t = new Thermal();
 * if (t.criticalWarning() !== 0) throw new Error("50 °C is below the 70 °C default");
 * const crossed = t.setThreshold(ThresholdSelect.OVER, COMPOSITE_TEMPERATURE_K - 10);
 * if (!crossed || t.criticalWarning() !== 0b10) throw new Error("over threshold crossed");
 * ```
 *
 * @module
 */

import { CriticalWarning, KELVIN_OFFSET } from "../spec/smart_log.ts";

/** Composite Temperature in °C: a constant 50 °C, below the default over-temperature threshold. */
const COMPOSITE_TEMPERATURE_C = 50;
/** Composite Temperature in kelvins: 323 K (QEMU's NVME_TEMPERATURE, 0x143). */
export const COMPOSITE_TEMPERATURE_K: number = KELVIN_OFFSET + COMPOSITE_TEMPERATURE_C;
/** Default over-temperature threshold: 0x157 K = 70 °C (QEMU's NVME_TEMPERATURE_WARNING). */
export const DEFAULT_OVER_THRESHOLD_K = 0x157;
/** Default under-temperature threshold: 0 K (Base 2.1 §5.1.25.1.3: no under-temperature alarm). */
export const DEFAULT_UNDER_THRESHOLD_K = 0;

/** THSEL (CDW11 bits 21:20): which threshold of the sensor. 10b and 11b are reserved. */
export const ThresholdSelect = {
  /** Over Temperature Threshold. */
  OVER: 0,
  /** Under Temperature Threshold. */
  UNDER: 1,
} as const;

/** TMPSEL (CDW11 bits 19:16) values this controller accepts. */
export const SensorSelect = {
  /** Composite Temperature. */
  COMPOSITE: 0x0,
  /** All temperature sensors (here: the composite one). */
  ALL: 0xf,
} as const;

const DEFAULTS: readonly number[] = [DEFAULT_OVER_THRESHOLD_K, DEFAULT_UNDER_THRESHOLD_K];

/** The decoded Temperature Threshold CDW11 (Base 2.1 §5.1.25.1.3). */
export interface ThresholdSelector {
  /** TMPTH: the threshold in kelvins (bits 15:0). */
  readonly tmpth: number;
  /** TMPSEL: the sensor (bits 19:16). */
  readonly tmpsel: number;
  /** THSEL: over (0) or under (1) (bits 21:20). */
  readonly thsel: number;
}

/** Decodes the Temperature Threshold dword. */
export function decodeThreshold(cdw11: number): ThresholdSelector {
  return { tmpth: cdw11 & 0xffff, tmpsel: (cdw11 >>> 16) & 0xf, thsel: (cdw11 >>> 20) & 0x3 };
}

/** True when the selector names a sensor and threshold this controller has. */
export function selectorSupported(s: ThresholdSelector): boolean {
  const sensor = s.tmpsel === SensorSelect.COMPOSITE || s.tmpsel === SensorSelect.ALL;
  return sensor && (s.thsel === ThresholdSelect.OVER || s.thsel === ThresholdSelect.UNDER);
}

/** The completion DW0 for a threshold: TMPTH with the sensor and threshold it is for. */
export function encodeThreshold(tmpth: number, s: ThresholdSelector): number {
  return ((tmpth & 0xffff) | (s.tmpsel << 16) | (s.thsel << 20)) >>> 0;
}

/** The composite sensor's thresholds and whether the temperature is beyond one of them. */
export class Thermal {
  /** The Composite Temperature in kelvins. */
  readonly temperatureK: number = COMPOSITE_TEMPERATURE_K;
  readonly #thresholds: number[] = [...DEFAULTS];
  #beyond = false;

  /** The default of threshold `thsel` (over or under). */
  static defaultThreshold(thsel: number): number {
    return DEFAULTS[thsel];
  }

  /** The current threshold `thsel` (over or under) in kelvins. */
  threshold(thsel: number): number {
    return this.#thresholds[thsel];
  }

  /**
   * Sets threshold `thsel` to `kelvin`. Returns true when that moved the temperature beyond a
   * threshold it was not beyond before: a Temperature Threshold event is due.
   */
  setThreshold(thsel: number, kelvin: number): boolean {
    this.#thresholds[thsel] = kelvin;
    const was = this.#beyond;
    this.#beyond = this.#isBeyond();
    return this.#beyond && !was;
  }

  /** At or above the over threshold, or at or below the under threshold (§5.1.12.1.3). */
  #isBeyond(): boolean {
    const t = this.temperatureK;
    return t >= this.#thresholds[ThresholdSelect.OVER] ||
      t <= this.#thresholds[ThresholdSelect.UNDER];
  }

  /** SMART Critical Warning bits this state sets: bit 1 while beyond a threshold. */
  criticalWarning(): number {
    return this.#beyond ? 1 << CriticalWarning.TEMPERATURE : 0;
  }

  /** Controller Level Reset: thresholds back to their defaults (the feature is not saved). */
  reset(): void {
    this.#thresholds.splice(0, this.#thresholds.length, ...DEFAULTS);
    this.#beyond = this.#isBeyond();
  }
}
