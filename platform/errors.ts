/**
 * Errors the platform throws. They signal misuse of the harness API (a bad argument, a double
 * free, a wait that can never end), never a protocol violation: protocol violations are recorded
 * as findings (see `findings.ts`) so a run can continue and report them all.
 *
 * Every message says what to do about it.
 *
 * @module
 */

/** Base class of every error thrown by `platform/`. */
export class PlatformError extends Error {
  /** Creates the error; `name` is the concrete class name. */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An argument is out of its documented domain (negative size, alignment not a power of two, …). */
export class InvalidArgumentError extends PlatformError {}

/** A CPU-side host memory access falls outside the simulated physical address space. */
export class AddressRangeError extends PlatformError {}

/** The host memory allocator has no free range large enough for a request. */
export class OutOfHostMemoryError extends PlatformError {}

/** `free()` was called with an address that is not a live allocation (double or unknown free). */
export class InvalidFreeError extends PlatformError {}

/** The scheduler was asked to run work from inside work it is already running. */
export class SchedulerReentryError extends PlatformError {}

/** A host wait can never return: no timeout was given and no device work is scheduled. */
export class WaitForeverError extends PlatformError {}

/** A PCI identity given by a function is inconsistent (BAR too small, MSI-X table outside it, …). */
export class PciIdentityError extends PlatformError {}

/** A function was attached twice, or an operation names a function that is not attached. */
export class AttachError extends PlatformError {}
