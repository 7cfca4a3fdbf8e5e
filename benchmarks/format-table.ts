import type { JudgedRow } from './row.js';

/** Three significant figures or so, without exponents: 0.412, 12.3, 4210. */
function formatNumber(value: number | null): string {
  if (value === null) return '—';
  if (!Number.isFinite(value)) return String(value);
  const size = Math.abs(value);
  if (Number.isInteger(value) || size >= 1000) return value.toFixed(0);
  if (size >= 100) return value.toFixed(1);
  if (size >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function verdict(row: JudgedRow): string {
  if (row.error !== undefined) return 'ERROR';
  if (row.met === null) return '—';
  return row.met ? 'yes' : 'NO';
}

/**
 * The benchmark's table, in plain aligned text, then the notes and errors of its rows. Units are in
 * the scenario column; the ratio is ours / baseline.
 */
export function formatTable(rows: readonly JudgedRow[]): string {
  const header = ['scenario', 'ours', 'baseline', 'ratio', 'target', 'met', 'baseline is'];
  const cells = rows.map((row) => [
    row.error === undefined ? `${row.scenario} (${row.unit})` : row.scenario,
    formatNumber(row.ours),
    formatNumber(row.baseline),
    row.ratio === null ? '—' : `${row.ratio.toFixed(2)}x`,
    row.error === undefined ? row.targetText : '—',
    verdict(row),
    row.baselineIs,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((line) => (line[i] ?? '').length)));
  // Figures align right, text left.
  const numeric = new Set([1, 2, 3]);
  const render = (line: string[]) =>
    line.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const lines = [render(header), render(widths.map((w) => '-'.repeat(w))), ...cells.map(render)];
  const remarks = rows.flatMap((row) => [
    ...(row.note === undefined ? [] : [`- ${row.scenario}: ${row.note}`]),
    ...(row.error === undefined ? [] : [`- ${row.scenario} FAILED: ${row.error}`]),
  ]);
  if (remarks.length > 0) lines.push('', ...remarks);
  return lines.join('\n');
}
