import { SYSTEMS, type SystemId } from "../system-catalog.ts";
import { WORKLOADS, type WorkloadId } from "../workload-catalog.ts";
import { formatNumber } from "./format-number.ts";
import type { ResultTable } from "./summarize-cells.ts";

const COLORS = [
  "#d62728",
  "#ff7f0e",
  "#1f77b4",
  "#17becf",
  "#2ca02c",
  "#9467bd",
  "#8c564b",
  "#7f7f7f",
];
const WIDTH = 1200;
const HEIGHT = 560;
const MARGIN = { left: 70, right: 210, top: 64, bottom: 90 };

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function tickLabel(power: number): string {
  return power >= 0 ? `×${2 ** power}` : `×1/${2 ** -power}`;
}

/**
 * Grouped bars: one group per workload, one bar per system, each the system's
 * primary metric relative to `baseline` on a log2 scale. Taller is better:
 * for latency and memory the ratio is inverted (baseline ÷ system).
 */
export function renderSvgChart(
  table: ResultTable,
  systems: readonly SystemId[],
  workloads: readonly WorkloadId[],
  title: string,
  baseline: SystemId = "grpc-js",
): string {
  const groups = workloads.filter(
    (workload) => table.metric(baseline, workload, WORKLOADS[workload].primary) !== undefined,
  );
  const bars: { group: number; slot: number; system: SystemId; ratio: number; text: string }[] = [];
  for (const [group, workload] of groups.entries()) {
    const { primary, unit, higherIsBetter } = WORKLOADS[workload];
    const base = table.metric(baseline, workload, primary) as number;
    for (const [slot, system] of systems.entries()) {
      const value = table.metric(system, workload, primary);
      if (value === undefined || value <= 0) {
        continue;
      }
      const ratio = higherIsBetter ? value / base : base / value;
      bars.push({ group, slot, system, ratio, text: `${formatNumber(value)} ${unit}` });
    }
  }
  const logs = bars.map((bar) => Math.log2(bar.ratio));
  const low = Math.max(-6, Math.min(-1, Math.floor(Math.min(0, ...logs))));
  const high = Math.min(8, Math.max(1, Math.ceil(Math.max(0, ...logs))));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const y = (log: number): number =>
    MARGIN.top + ((high - Math.max(low, Math.min(high, log))) / (high - low)) * plotHeight;
  const groupWidth = plotWidth / Math.max(1, groups.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, systems.length);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${MARGIN.left}" y="44" fill="#555">${escapeXml(
      `Primary metric relative to ${SYSTEMS[baseline].label} (log scale; taller is better; (f) latency and (g) memory inverted)`,
    )}</text>`,
  ];
  for (let power = low; power <= high; power++) {
    const lineY = y(power);
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${lineY}" y2="${lineY}" stroke="${power === 0 ? "#000" : "#ddd"}"/>`,
      `<text x="${MARGIN.left - 8}" y="${lineY + 4}" text-anchor="end">${tickLabel(power)}</text>`,
    );
  }
  for (const [group, workload] of groups.entries()) {
    const centerX = MARGIN.left + groupWidth * (group + 0.5);
    const lines = [`(${workload})`, ...WORKLOADS[workload].chartLines];
    for (const [index, line] of lines.entries()) {
      parts.push(
        `<text x="${centerX}" y="${HEIGHT - MARGIN.bottom + 18 + index * 15}" text-anchor="middle">${escapeXml(line)}</text>`,
      );
    }
    parts.push(
      `<text x="${centerX}" y="${HEIGHT - MARGIN.bottom + 18 + lines.length * 15}" text-anchor="middle" fill="#555">${escapeXml(WORKLOADS[workload].unit)}</text>`,
    );
  }
  for (const bar of bars) {
    const x = MARGIN.left + groupWidth * bar.group + groupWidth * 0.1 + bar.slot * barWidth;
    const top = Math.min(y(0), y(Math.log2(bar.ratio)));
    const height = Math.max(2, Math.abs(y(Math.log2(bar.ratio)) - y(0)));
    const color = COLORS[systems.indexOf(bar.system) % COLORS.length];
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barWidth * 0.9).toFixed(1)}" height="${height.toFixed(1)}" fill="${color}"><title>${escapeXml(
        `${SYSTEMS[bar.system].label}: ${bar.text} (${bar.ratio.toFixed(2)}× ${SYSTEMS[baseline].label})`,
      )}</title></rect>`,
    );
  }
  for (const [index, system] of systems.entries()) {
    const legendY = MARGIN.top + index * 22;
    const legendX = WIDTH - MARGIN.right + 20;
    parts.push(
      `<rect x="${legendX}" y="${legendY}" width="14" height="14" fill="${COLORS[index % COLORS.length]}"/>`,
      `<text x="${legendX + 20}" y="${legendY + 12}">${escapeXml(SYSTEMS[system].label)}</text>`,
    );
  }
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
