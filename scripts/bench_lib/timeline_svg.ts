/**
 * The timeline of the benchmark as a hand-written SVG: one row per client, one column per
 * phase (each with its own time scale), a tick per update coloured by its reply, a dot per IP
 * check, and a bar where a daemon ended by itself. Pure: data in, text out.
 *
 * @module
 */
import { classify, type ClientRun, type HitClass } from "./types.ts";

/** A column: one phase, as long as its longest run. */
export interface TimelineColumn {
  /** Header. */
  label: string;
  /** Time the column spans, ms. */
  durationMs: number;
}

/** A request in a cell. */
export interface TimelineMark {
  /** Time since the start of the phase, ms. */
  offsetMs: number;
  /** How it is drawn. */
  cls: HitClass;
  /** Tooltip, e.g. the reply. */
  title: string;
}

/** One client's phase. */
export interface TimelineCell {
  /** Its requests. */
  marks: TimelineMark[];
  /** When its daemon ended by itself, ms since the start of the phase. */
  exitedMs?: number;
}

/** One client. */
export interface TimelineRow {
  /** The client's name. */
  label: string;
  /** One cell per column. */
  cells: TimelineCell[];
}

/** The colour of each kind of mark. */
export const COLORS: Record<HitClass, string> = {
  good: "#2e7d32",
  nochg: "#e69f00",
  error: "#d32f2f",
  ip: "#8a8a8a",
};

const LEFT = 84;
const COLUMN = 112;
const GAP = 8;
const TOP = 74;
const ROW = 60;
const LEGEND = 64;

/** The columns and rows of the phases that have a `timeline` label, from the runs. */
export function timelineOf(runs: readonly ClientRun[]): {
  columns: TimelineColumn[];
  rows: TimelineRow[];
} {
  const ids = (runs[0]?.phases ?? []).filter((p) => p.timeline !== undefined).map((p) => p.id);
  const columns = ids.map((id) => {
    const phases = runs.flatMap((r) => r.phases.filter((p) => p.id === id));
    return {
      label: phases[0]?.timeline ?? id,
      durationMs: Math.max(1, ...phases.map((p) => p.end - p.start)),
    };
  });
  const rows = runs.map((run) => ({
    label: run.client,
    cells: ids.map((id): TimelineCell => {
      const phase = run.phases.find((p) => p.id === id);
      if (!phase) return { marks: [] };
      const marks = phase.hits.map((hit) => ({
        offsetMs: hit.at - phase.start,
        cls: classify(hit),
        title: hit.kind === "ip" ? "IP check" : `update: ${hit.reply || `HTTP ${hit.status}`}`,
      }));
      return phase.exited ? { marks, exitedMs: phase.exited.at - phase.start } : { marks };
    }),
  }));
  return { columns, rows };
}

/** Renders the timeline as a standalone SVG document. */
export function renderTimeline(
  title: string,
  columns: readonly TimelineColumn[],
  rows: readonly TimelineRow[],
): string {
  const width = LEFT + columns.length * (COLUMN + GAP) + GAP;
  const height = TOP + rows.length * ROW + LEGEND;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escape(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${GAP}" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ];
  columns.forEach((column, c) => {
    const x = columnX(c);
    const [first, second] = splitLabel(column.label);
    out.push(
      `<text x="${x + COLUMN / 2}" y="42" text-anchor="middle">${escape(first)}</text>`,
      `<text x="${x + COLUMN / 2}" y="55" text-anchor="middle">${escape(second)}</text>`,
      `<text x="${x}" y="68" fill="#666666" font-size="9">0</text>`,
      `<text x="${x + COLUMN}" y="68" fill="#666666" font-size="9" text-anchor="end">` +
        `${escape(seconds(column.durationMs))}</text>`,
    );
  });
  rows.forEach((row, r) => {
    const y = TOP + r * ROW;
    out.push(
      `<text x="${GAP}" y="${y + ROW / 2}" font-weight="bold">${escape(row.label)}</text>`,
    );
    row.cells.forEach((cell, c) => out.push(...renderCell(cell, columns[c]!, columnX(c), y)));
  });
  out.push(...renderLegend(TOP + rows.length * ROW + 16));
  out.push("</svg>", "");
  return out.join("\n");
}

function renderCell(cell: TimelineCell, column: TimelineColumn, x: number, y: number): string[] {
  const scale = (ms: number) =>
    x + 2 + Math.min(1, Math.max(0, ms / column.durationMs)) * (COLUMN - 6);
  const updates = cell.marks.filter((m) => m.cls !== "ip").length;
  const out = [
    `<rect x="${x}" y="${y + 4}" width="${COLUMN}" height="${ROW - 8}" fill="#f4f4f4" ` +
    `stroke="#dddddd"/>`,
    `<text x="${x + COLUMN - 3}" y="${y + 14}" text-anchor="end" font-size="9" fill="#444444">` +
    `${updates} upd</text>`,
  ];
  for (const mark of cell.marks) {
    const mx = fixed(scale(mark.offsetMs));
    out.push(
      mark.cls === "ip"
        ? `<circle cx="${mx}" cy="${y + ROW - 12}" r="2.5" fill="${COLORS.ip}">` +
          `<title>${escape(mark.title)}</title></circle>`
        : `<rect x="${mx}" y="${y + 19}" width="3" height="${ROW - 36}" fill="${
          COLORS[mark.cls]
        }">` +
          `<title>${escape(mark.title)}</title></rect>`,
    );
  }
  if (cell.exitedMs !== undefined) {
    const ex = fixed(scale(cell.exitedMs));
    out.push(
      `<rect x="${ex}" y="${y + 6}" width="2" height="${ROW - 12}" fill="#000000">` +
        `<title>the daemon ended by itself</title></rect>`,
    );
  }
  return out;
}

function renderLegend(y: number): string[] {
  const items: [string, string][] = [
    [COLORS.good, "update accepted (good)"],
    [COLORS.nochg, "needless update (nochg)"],
    [COLORS.error, "update refused (error reply)"],
  ];
  const out = items.map(([color, text], i) => {
    const x = GAP + i * 190;
    return `<rect x="${x}" y="${y - 9}" width="3" height="12" fill="${color}"/>` +
      `<text x="${x + 8}" y="${y + 1}">${escape(text)}</text>`;
  });
  const x = GAP + items.length * 190;
  out.push(
    `<circle cx="${x + 2}" cy="${y - 3}" r="2.5" fill="${COLORS.ip}"/>` +
      `<text x="${x + 8}" y="${y + 1}">IP check</text>`,
    `<rect x="${x + 80}" y="${y - 10}" width="2" height="14" fill="#000000"/>` +
      `<text x="${x + 88}" y="${y + 1}">daemon ended by itself</text>`,
    `<text x="${GAP}" y="${y + 24}" fill="#666666">Each column has its own time scale, ` +
      `from 0 to the longest run of that phase.</text>`,
  );
  return out;
}

function columnX(c: number): number {
  return LEFT + GAP + c * (COLUMN + GAP);
}

/** "badauth: daemon" → ["badauth", "daemon"]; a label without a colon keeps line two empty. */
function splitLabel(label: string): [string, string] {
  const colon = label.indexOf(":");
  return colon < 0 ? [label, ""] : [label.slice(0, colon), label.slice(colon + 1).trim()];
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function fixed(n: number): string {
  return n.toFixed(1);
}

/** Text made safe for XML content and attribute values. */
export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
