import { parseArgs } from 'node:util';

/** A command line that cannot be carried out as written: exit status 2, with the command's usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The value's placeholder in help, such as `FILE`. */
  value?: string;
  help: string;
  /** Another spelling, accepted and not shown (such as the original `--include_completed`). */
  alias?: string;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  /** Takes every remaining positional. */
  variadic?: boolean;
}

/** The parsed command line of one command. */
export interface ParsedArgs {
  positionals: string[];
  /** Named option values, aliases folded into their option. */
  values: Record<string, string | boolean | string[] | undefined>;
}

/** One command: `fas GROUP NAME ...`. */
export interface CommandSpec<Context> {
  name: string;
  /** Other names it answers to (`run-bulk` for `run_bulk`). */
  aliases?: string[];
  summary: string;
  positionals: PositionalSpec[];
  options: Record<string, OptionSpec>;
  /** More text for `--help`. */
  details?: string;
  examples: string[];
  run(args: ParsedArgs, context: Context): number | Promise<number>;
}

export interface GroupSpec<Context> {
  name: string;
  summary: string;
  details?: string;
  commands: CommandSpec<Context>[];
}

/** Options every command takes. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', help: 'print raw JSON instead of tables and text' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export function findCommand<C>(group: GroupSpec<C>, name: string): CommandSpec<C> | undefined {
  return group.commands.find((c) => c.name === name || (c.aliases ?? []).includes(name));
}

/** Parses a command's arguments; throws UsageError for unknown options, missing values and wrong positionals. */
export function parseCommand<C>(group: GroupSpec<C>, command: CommandSpec<C>, argv: string[]): ParsedArgs {
  const all = { ...command.options, ...COMMON_OPTIONS };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(all)) {
    options[name] = { type: spec.type, ...(spec.short !== undefined && { short: spec.short }), ...(spec.multiple && { multiple: true }) };
    if (spec.alias) options[spec.alias] = { type: spec.type, ...(spec.multiple && { multiple: true }) };
  }
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(parseArgsMessage(error));
  }
  const values: ParsedArgs['values'] = {};
  for (const [name, spec] of Object.entries(all)) {
    const main = parsed.values[name];
    const alias = spec.alias === undefined ? undefined : parsed.values[spec.alias];
    const merged = spec.multiple
      ? [...((main as string[] | undefined) ?? []), ...((alias as string[] | undefined) ?? [])]
      : ((main ?? alias) as string | boolean | undefined);
    values[name] = merged;
  }
  if (values.help) return { positionals: parsed.positionals, values };
  const required = command.positionals.filter((p) => p.required).length;
  const variadic = command.positionals.some((p) => p.variadic);
  if (parsed.positionals.length < required) {
    const missing = command.positionals[parsed.positionals.length];
    throw new UsageError(`fas ${group.name} ${command.name} needs ${missing ? missing.name : 'more arguments'}`);
  }
  if (!variadic && parsed.positionals.length > command.positionals.length) {
    const extra = parsed.positionals.slice(command.positionals.length);
    throw new UsageError(`Unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => JSON.stringify(a)).join(' ')}`);
  }
  return { positionals: parsed.positionals, values };
}

function parseArgsMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Node's messages are good; drop their advice about `--` for values that start with "-".
  return message.replace(/\s*To specify a positional argument.*$/s, '').replace(/\.$/, '');
}

/** The one-line synopsis of a command. */
export function synopsis<C>(group: GroupSpec<C>, command: CommandSpec<C>): string {
  const parts = [`fas ${group.name} ${command.name}`];
  for (const p of command.positionals) parts.push(p.required ? p.name : `[${p.name}]`);
  for (const [name, spec] of Object.entries(command.options)) {
    const flag = spec.short ? `-${spec.short}|--${name}` : `--${name}`;
    const text = spec.type === 'string' ? `${flag} ${spec.value ?? 'VALUE'}` : flag;
    parts.push(spec.multiple ? `[${text}]...` : `[${text}]`);
  }
  return parts.join(' ');
}

/** The full `--help` of a command. */
export function commandHelp<C>(group: GroupSpec<C>, command: CommandSpec<C>): string {
  const lines = [`Usage: ${synopsis(group, command)}`, '', command.summary];
  if (command.details) lines.push('', command.details.trimEnd());
  lines.push('', 'Options:');
  const rows: [string, string][] = [];
  for (const [name, spec] of Object.entries({ ...command.options, ...COMMON_OPTIONS })) {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    rows.push([flag, spec.help + (spec.multiple ? ' (may be repeated)' : '') + (spec.alias ? ` (also --${spec.alias})` : '')]);
  }
  const width = Math.max(...rows.map(([flag]) => flag.length));
  for (const [flag, help] of rows) lines.push(`  ${flag.padEnd(width)}  ${help}`);
  if (command.aliases?.length) lines.push('', `Also: ${command.aliases.map((a) => `fas ${group.name} ${a}`).join(', ')}`);
  if (command.examples.length > 0) {
    lines.push('', 'Examples:');
    for (const example of command.examples) lines.push(`  ${example}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The `--help` of a group: its commands. */
export function groupHelp<C>(group: GroupSpec<C>): string {
  const lines = [`Usage: fas ${group.name} COMMAND [ARGS] [--json] [--help]`, '', group.summary];
  if (group.details) lines.push('', group.details.trimEnd());
  lines.push('', 'Commands:');
  const width = Math.max(...group.commands.map((c) => c.name.length));
  for (const command of group.commands) lines.push(`  ${command.name.padEnd(width)}  ${command.summary}`);
  lines.push('', `Run 'fas ${group.name} COMMAND --help' for a command's options and examples.`);
  return `${lines.join('\n')}\n`;
}
