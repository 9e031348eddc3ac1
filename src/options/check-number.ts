/**
 * Checks a number option once, where its options object is resolved, and
 * throws a `RangeError` naming it: `what` is how the user wrote it (for
 * example `createLibp2pTransport's readMaxBytes`). `undefined` gives
 * `fallback`. `whole` asks for an integer; `min` and `max` are inclusive.
 *
 * @example
 * ```ts
 * const readMaxBytes = checkNumber(options.readMaxBytes, "readMaxBytes", {
 *   fallback: DEFAULT_MAX_MESSAGE_BYTES,
 *   whole: true,
 *   min: 1,
 * });
 * ```
 */
export function checkNumber(
  value: number | undefined,
  what: string,
  rule: {
    readonly fallback: number;
    readonly whole?: boolean;
    readonly min: number;
    readonly max?: number;
  },
): number {
  if (value === undefined) {
    return rule.fallback;
  }
  const max = rule.max ?? Number.MAX_SAFE_INTEGER;
  if (
    typeof value !== "number" ||
    Number.isNaN(value) ||
    value < rule.min ||
    value > max ||
    (rule.whole === true && !Number.isInteger(value))
  ) {
    const kind = rule.whole === true ? "a whole number" : "a number";
    const range =
      max === Number.MAX_SAFE_INTEGER ? `of at least ${rule.min}` : `from ${rule.min} to ${max}`;
    throw new RangeError(`${what} must be ${kind} ${range}, not ${String(value)}`);
  }
  return value;
}
