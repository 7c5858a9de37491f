/**
 * The controller's Keep Alive Timer (Base 2.1 §3.9, Keep Alive; §5.1.25.1.8, Keep Alive Timer
 * feature; §5.1.14, Keep Alive command). Supported when the `kas` option (Identify KAS, in
 * 100 ms units) is not 0. The timer starts when Set Features sets a non-zero KATO and restarts
 * on every Keep Alive command (Traffic Based Keep Alive is not supported, so other commands do
 * not restart it). If it expires, the host failed to keep the association alive: the controller
 * records a finding and sets CSTS.CFS, as §3.9 describes for a Keep Alive Timeout.
 *
 * KATO is rounded up to a multiple of the KAS granularity, and Get Features reports the rounded
 * value.
 *
 * @example
 * ```ts
 * import { roundKato } from "./keep_alive.ts";
 * if (roundKato(150, 1) !== 200) throw new Error("rounded up to 100 ms units");
 * if (roundKato(0, 1) !== 0) throw new Error("0 disables");
 * ```
 *
 * @module
 */

import type { DevicePort } from "../platform/ports.ts";
import type { EventHandle } from "../platform/scheduler.ts";
import { HOST_RULES, type HostRule } from "./rules.ts";

/** The host obligation a Keep Alive Timeout breaks ({@linkcode HOST_RULES}.keepAliveTimeout). */
export const KEEP_ALIVE_TIMEOUT_RULE: HostRule = HOST_RULES.keepAliveTimeout;

/** The unit of Identify KAS: 100 ms. */
export const KAS_UNIT_MS = 100;
const NS_PER_MS = 1_000_000;
const MAX_KATO_MS = 0xffff_ffff;

/** KATO (ms) rounded up to a multiple of `kas` × 100 ms, within 32 bits; 0 stays 0. */
export function roundKato(katoMs: number, kas: number): number {
  const unit = kas * KAS_UNIT_MS;
  if (katoMs === 0 || unit === 0) return katoMs;
  const rounded = Math.ceil(katoMs / unit) * unit;
  return rounded <= MAX_KATO_MS ? rounded : Math.floor(MAX_KATO_MS / unit) * unit;
}

/** One controller's Keep Alive Timer in virtual time. */
export class KeepAliveMonitor {
  #port: DevicePort | null = null;
  #timer: EventHandle | null = null;
  #katoMs = 0;
  readonly #expire = () => {
    this.#timer = null;
    this.onExpire(this.#katoMs);
  };

  /** Creates a stopped timer; `onExpire` runs (with KATO in ms) when it expires. */
  constructor(readonly onExpire: (katoMs: number) => void) {}

  /** Binds to the device port (for scheduling). */
  attach(port: DevicePort): void {
    this.#port = port;
  }

  /** The current Keep Alive Timeout in ms (0 = disabled). */
  get katoMs(): number {
    return this.#katoMs;
  }

  /** Sets KATO (already rounded) and starts the timer from now; 0 stops it. */
  start(katoMs: number): void {
    this.#katoMs = katoMs;
    this.restart();
  }

  /** A Keep Alive command arrived: the timer starts over (no effect while disabled). */
  restart(): void {
    this.#cancel();
    if (this.#katoMs > 0 && this.#port) {
      this.#timer = this.#port.schedule(this.#katoMs * NS_PER_MS, this.#expire);
    }
  }

  /** Controller Level Reset: KATO back to 0, the timer stopped. */
  stop(): void {
    this.#cancel();
    this.#katoMs = 0;
  }

  #cancel(): void {
    if (this.#timer !== null && this.#port) this.#port.cancel(this.#timer);
    this.#timer = null;
  }
}
