import type { ExecutionRecord } from '../client/types.js';

/** Where a command writes: results to `out` (stdout), everything else to `err` (stderr). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal: progress is shown only then. */
  errIsTTY: boolean;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  errIsTTY: process.stderr.isTTY === true,
};

/** Rows as an aligned table under upper-case headers; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((row) => displayWidth(row[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - displayWidth(cell))))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

function displayWidth(text: string): number {
  return [...text].length;
}

/** Text on one line, at most `max` characters (control characters escaped). */
export function oneLine(text: string, max = 40): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  const chars = [...flat];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : flat;
}

/**
 * A run's output as the CLI prints it: a JSON string as the raw string, anything else as JSON
 * (`pretty`: indented). With `json`, always JSON on one line.
 */
export function formatOutput(value: unknown, options: { json: boolean; pretty?: boolean }): string {
  if (!options.json && typeof value === 'string') return value;
  return JSON.stringify(value, null, options.pretty && !options.json ? 2 : undefined) ?? 'null';
}

/** What an execution came to, in a few words: its output, or its error. */
export function outcome(record: ExecutionRecord): string {
  if (record.status === 'completed') return oneLine(JSON.stringify(record.output) ?? 'null');
  if (record.error) return oneLine(`${record.error.type}: ${record.error.message}`);
  return '';
}

/** Execution records as a table; `null` entries (unknown ids) as `not found` rows under their id. */
export function executionTable(records: readonly (ExecutionRecord | null)[], ids?: readonly string[]): string {
  const rows = records.map((record, index) =>
    record
      ? [record.uuid, record.name, record.function_version === null ? '-' : String(record.function_version), record.status, record.created, duration(record), outcome(record)]
      : [ids?.[index] ?? '?', '-', '-', 'not found', '-', '-', ''],
  );
  return table(['ID', 'FUNCTION', 'VERSION', 'STATUS', 'CREATED', 'DURATION', 'OUTPUT / ERROR'], rows);
}

function duration(record: ExecutionRecord): string {
  if (record.duration_ms === null) return '-';
  return record.duration_ms < 1000 ? `${record.duration_ms.toFixed(record.duration_ms < 10 ? 2 : 0)} ms` : `${(record.duration_ms / 1000).toFixed(2)} s`;
}

/** A token shown without its secret: its first characters only. */
export function maskToken(token: string): string {
  if (token === '') return '(none)';
  return token.length > 8 ? `${token.slice(0, 4)}…` : '****';
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[K';

/**
 * Progress on stderr while waiting: a spinner, or a bar with counts when `total` is given. Draws only
 * when stderr is a terminal; otherwise every method does nothing, so stdout and logs stay clean.
 */
export class Progress {
  #frame = 0;
  #done = 0;
  #failed = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #active: boolean;

  constructor(
    private readonly io: Io,
    private readonly label: string,
    private readonly total?: number,
  ) {
    this.#active = io.errIsTTY;
    if (this.#active) {
      this.#draw();
      this.#timer = setInterval(() => this.#draw(), 100);
      this.#timer.unref();
    }
  }

  /** Counts for the bar. */
  update(done: number, failed: number): void {
    this.#done = done;
    this.#failed = failed;
    if (this.#active) this.#draw();
  }

  /** Writes to stdout without tearing the progress line. */
  print(text: string): void {
    if (!this.#active) return this.io.out(text);
    this.io.err(CLEAR_LINE);
    this.io.out(text);
    this.#draw();
  }

  /** Writes a message to stderr without tearing the progress line. */
  note(text: string): void {
    if (!this.#active) return this.io.err(text);
    this.io.err(CLEAR_LINE + text);
    this.#draw();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#active) this.io.err(CLEAR_LINE);
  }

  #draw(): void {
    const spinner = FRAMES[this.#frame++ % FRAMES.length] ?? '';
    let text = `${spinner} ${this.label}`;
    if (this.total !== undefined) {
      const width = 24;
      const filled = this.total === 0 ? width : Math.round((this.#done / this.total) * width);
      text += ` [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.#done}/${this.total} done`;
      if (this.#failed > 0) text += `, ${this.#failed} failed`;
    }
    this.io.err(`${CLEAR_LINE}${text}`);
  }
}
