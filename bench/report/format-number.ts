/** A number for tables: thousands separators, about three significant digits. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) {
    return "–";
  }
  const magnitude = Math.abs(value);
  const digits =
    magnitude >= 100 || Number.isInteger(value) ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** A ratio such as "2.31×". */
export function formatRatio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? "–" : `${value.toFixed(2)}×`;
}
