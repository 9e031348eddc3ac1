import { formatNumber } from "../report/format-number.ts";
import type { CurvePoint, GrowthVerdict } from "./growth-verdict.ts";

/** One panel: a measure's curve, its verdict and an optional horizontal target. */
export interface ChartPanel {
  readonly label: string;
  readonly unit: string;
  readonly points: readonly CurvePoint[];
  readonly verdict: GrowthVerdict;
  readonly target?: { readonly value: number; readonly label: string };
}

const COLUMNS = 3;
const PANEL = { width: 400, height: 260 };
const INNER = { left: 64, right: 16, top: 44, bottom: 40 };
const HEADER = 56;

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Powers of ten from below `low` to above `high`. */
function decades(low: number, high: number): number[] {
  const first = Math.floor(Math.log10(low));
  const last = Math.ceil(Math.log10(high));
  return Array.from({ length: last - first + 1 }, (_, index) => 10 ** (first + index));
}

function renderPanel(panel: ChartPanel, originX: number, originY: number): string[] {
  const shown = panel.points.filter((point) => point.value > 0 && point.peers > 0);
  const first = shown[0];
  const linear =
    first === undefined
      ? []
      : shown.map((point) => ({
          peers: point.peers,
          value: (first.value * point.peers) / first.peers,
        }));
  const values = [...shown, ...linear].map((point) => point.value);
  if (panel.target !== undefined) {
    values.push(panel.target.value);
  }
  const verdict =
    panel.verdict.ratio === undefined
      ? panel.verdict.verdict
      : `${panel.verdict.verdict} (per peer ×${panel.verdict.ratio.toFixed(2)} from ${panel.verdict.reference?.peers} to ${panel.verdict.largest?.peers})`;
  const parts = [
    `<text x="${originX + INNER.left}" y="${originY + 18}" font-weight="bold">${escapeXml(panel.label)}</text>`,
    `<text x="${originX + INNER.left}" y="${originY + 34}" fill="#555">${escapeXml(`${panel.unit}; ${verdict}`)}</text>`,
  ];
  if (shown.length === 0) {
    parts.push(
      `<text x="${originX + PANEL.width / 2}" y="${originY + PANEL.height / 2}" text-anchor="middle" fill="#999">no value above 0</text>`,
    );
    return parts;
  }
  const peers = shown.map((point) => point.peers);
  const xTicks = decades(Math.min(...peers), Math.max(...peers));
  const yTicks = decades(Math.min(...values), Math.max(...values));
  const [xLow, xHigh] = [xTicks[0] as number, xTicks.at(-1) as number];
  const [yLow, yHigh] = [yTicks[0] as number, yTicks.at(-1) as number];
  const width = PANEL.width - INNER.left - INNER.right;
  const height = PANEL.height - INNER.top - INNER.bottom;
  const span = (value: number, low: number, high: number): number =>
    high === low
      ? 0.5
      : (Math.log10(value) - Math.log10(low)) / (Math.log10(high) - Math.log10(low));
  const x = (value: number): number => originX + INNER.left + span(value, xLow, xHigh) * width;
  const y = (value: number): number =>
    originY + INNER.top + height - span(value, yLow, yHigh) * height;
  for (const tick of xTicks) {
    parts.push(
      `<line x1="${x(tick)}" x2="${x(tick)}" y1="${y(yLow)}" y2="${y(yHigh)}" stroke="#eee"/>`,
      `<text x="${x(tick)}" y="${y(yLow) + 16}" text-anchor="middle">${formatNumber(tick)}</text>`,
    );
  }
  for (const tick of yTicks) {
    parts.push(
      `<line x1="${x(xLow)}" x2="${x(xHigh)}" y1="${y(tick)}" y2="${y(tick)}" stroke="#eee"/>`,
      `<text x="${x(xLow) - 6}" y="${y(tick) + 4}" text-anchor="end">${formatNumber(tick)}</text>`,
    );
  }
  const path = (points: readonly CurvePoint[]): string =>
    points.map((point) => `${x(point.peers).toFixed(1)},${y(point.value).toFixed(1)}`).join(" ");
  parts.push(
    `<polyline points="${path(linear)}" fill="none" stroke="#999" stroke-dasharray="5,4"/>`,
    `<polyline points="${path(shown)}" fill="none" stroke="#d62728" stroke-width="2"/>`,
    ...shown.map(
      (point) =>
        `<circle cx="${x(point.peers).toFixed(1)}" cy="${y(point.value).toFixed(1)}" r="3.5" fill="#d62728"><title>${escapeXml(
          `${formatNumber(point.peers)} peers: ${formatNumber(point.value)} ${panel.unit}`,
        )}</title></circle>`,
    ),
  );
  if (panel.target !== undefined) {
    const targetY = y(panel.target.value).toFixed(1);
    parts.push(
      `<line x1="${x(xLow)}" x2="${x(xHigh)}" y1="${targetY}" y2="${targetY}" stroke="#2ca02c" stroke-dasharray="2,3"/>`,
      `<text x="${x(xHigh)}" y="${Number(targetY) - 4}" text-anchor="end" fill="#2ca02c">${escapeXml(panel.target.label)}</text>`,
    );
  }
  return parts;
}

/**
 * The scale chart: one small log-log panel per measure, peers across, the
 * measure up, its points joined in red and, dashed grey, the line that grows
 * linearly from the first point (a curve below it, or parallel to it, grows
 * at most linearly). Values at or below 0 cannot be drawn on a log scale
 * and are left out.
 */
export function renderScaleChart(
  title: string,
  subtitle: string,
  panels: readonly ChartPanel[],
): string {
  const rows = Math.ceil(panels.length / COLUMNS);
  const width = COLUMNS * PANEL.width;
  const height = HEADER + rows * PANEL.height;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="16" y="44" fill="#555">${escapeXml(subtitle)}</text>`,
  ];
  for (const [index, panel] of panels.entries()) {
    const originX = (index % COLUMNS) * PANEL.width;
    const originY = HEADER + Math.floor(index / COLUMNS) * PANEL.height;
    parts.push(...renderPanel(panel, originX, originY));
  }
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
