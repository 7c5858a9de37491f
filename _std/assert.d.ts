// Types for the subset of `@std/assert` (deno-std@1.4.0 on npm, untyped JS) that this project uses.
// The signatures follow jsr:@std/assert 1.x so swapping the import map line for JSR changes nothing.

/** Error thrown when an assertion fails. */
export class AssertionError extends Error {
  /** Creates an assertion error with a message. */
  constructor(message: string);
}
/** Deep structural equality, as used by `assertEquals`. */
export function equal(a: unknown, b: unknown): boolean;
/** Asserts that `expr` is truthy. */
export function assert(expr: unknown, msg?: string): asserts expr;
/** Asserts that `expr` is falsy. */
export function assertFalse(expr: unknown, msg?: string): void;
/** Asserts deep equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void;
/** Asserts deep inequality. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void;
/** Asserts `Object.is` equality. */
export function assertStrictEquals<T>(
  actual: unknown,
  expected: T,
  msg?: string,
): asserts actual is T;
/** Asserts `Object.is` inequality. */
export function assertNotStrictEquals<T>(actual: T, expected: T, msg?: string): void;
/** Asserts two numbers are within `tolerance`. */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance?: number,
  msg?: string,
): void;
/** Asserts `actual` is neither null nor undefined. */
export function assertExists<T>(actual: T, msg?: string): asserts actual is NonNullable<T>;
/** Asserts `actual > expected`. */
export function assertGreater<T>(actual: T, expected: T, msg?: string): void;
/** Asserts `actual >= expected`. */
export function assertGreaterOrEqual<T>(actual: T, expected: T, msg?: string): void;
/** Asserts `actual < expected`. */
export function assertLess<T>(actual: T, expected: T, msg?: string): void;
/** Asserts `actual <= expected`. */
export function assertLessOrEqual<T>(actual: T, expected: T, msg?: string): void;
/** Asserts `actual` is an instance of `expectedType`. */
// deno-lint-ignore no-explicit-any
export function assertInstanceOf<T extends abstract new (...args: any[]) => any>(
  actual: unknown,
  expectedType: T,
  msg?: string,
): asserts actual is InstanceType<T>;
/** Asserts a string matches a regular expression. */
export function assertMatch(actual: string, expected: RegExp, msg?: string): void;
/** Asserts a string does not match a regular expression. */
export function assertNotMatch(actual: string, expected: RegExp, msg?: string): void;
/** Asserts a string contains a substring. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void;
/** Asserts an array contains all `expected` values. */
export function assertArrayIncludes<T>(
  actual: ArrayLike<T>,
  expected: ArrayLike<T>,
  msg?: string,
): void;
/** Asserts `actual` contains the properties of `expected`. */
export function assertObjectMatch(
  actual: Record<PropertyKey, unknown>,
  expected: Record<PropertyKey, unknown>,
  msg?: string,
): void;
/** Asserts `fn` throws; returns the error. */
export function assertThrows(fn: () => unknown, msg?: string): unknown;
/** Asserts `fn` throws an instance of `ErrorClass`; returns it. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass: abstract new (...args: any[]) => E,
  msgIncludes?: string,
  msg?: string,
): E;
/** Asserts `fn` rejects; returns the error. */
export function assertRejects(fn: () => PromiseLike<unknown>, msg?: string): Promise<unknown>;
/** Asserts `fn` rejects with an instance of `ErrorClass`; returns it. */
export function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  // deno-lint-ignore no-explicit-any
  ErrorClass: abstract new (...args: any[]) => E,
  msgIncludes?: string,
  msg?: string,
): Promise<E>;
/** Always throws. */
export function fail(msg?: string): never;
/** Marks code that must not be reached. */
export function unreachable(msg?: string): never;
