import { packageVersion } from '../package-version.js';
import { executionsGroup } from './commands/executions.js';
import { functionsGroup } from './commands/functions.js';
import { profilesGroup } from './commands/profiles.js';
import { runRekey } from './commands/rekey.js';
import { makeContext, type CliContext } from './context.js';
import { reportError } from './failure.js';
import type { Io } from './output.js';
import { commandHelp, findCommand, groupHelp, parseCommand, synopsis, UsageError, type GroupSpec } from './usage.js';

/** Exit statuses: success, a server or function error, a usage error. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** `fas server` keeps running: no exit status to set. */
export const EXIT_NONE = -1;

export const GROUPS: readonly GroupSpec<CliContext>[] = [functionsGroup, executionsGroup, profilesGroup];

export const HELP = `fas: the FaaSpot command line

Usage:
  fas functions COMMAND ...    create, update, list, get, delete and run functions
                               (create, update, list, get, delete, run, run_bulk)
  fas executions COMMAND ...   read, list and cancel executions (get, list, get_bulk, cancel)
  fas profiles COMMAND ...     which server to reach, with which token
                               (create, list, get, use, current, update, delete)
  fas server                   start the server (also: fas serve); settings come from FAASPOT_* variables
  fas server rekey             encrypt the functions' contexts under a new secret key (server stopped)
  fas --help                   show this help; 'fas COMMAND --help' and 'fas COMMAND SUBCOMMAND --help' too
  fas --version                print the version

Options of every command:
  --json        print raw JSON instead of tables and text
  -h, --help    show the command's usage, options and examples

Examples:
  fas profiles create local --token $(cat data/admin-token)
  fas functions create hello --file hello.py
  fas functions run hello --parameters "name=user1" --wait
  UUID=$(fas functions run hello --parameters "name=user1")
  fas executions get $UUID
  fas functions run FUNCTION_NAME -p "param_1=value_1, param_2=value_2" --wait
  fas functions run_bulk FUNCTION_NAME -p "k1=v1, k2=v2" -p "k3=v3, k4=v4"
  fas executions get_bulk -u EXECUTION_ID_1 -u EXECUTION_ID_2
  fas functions delete FUNCTION_NAME

Connection: the current profile of ~/.faaspot/fasconf.yaml (FAASPOT_DIR and FAASPOT_CONFIG move it);
FAASPOT_URL (such as http://127.0.0.1:8080) and FAASPOT_TOKEN override it.

Exit status: 0 on success; 1 when the server or the function fails (its error code and message are
printed on stderr: "fas: FUNCTION_NOT_FOUND: ..."); 2 for a command line fas cannot use.

Server settings (environment): FAASPOT_PORT, FAASPOT_HOST, FAASPOT_DATA_DIR, FAASPOT_ADMIN_TOKEN,
FAASPOT_WORKERS, FAASPOT_DEFAULT_TIMEOUT, FAASPOT_LOG_LEVEL, FAASPOT_METRICS_PORT and more; see the
README.
`;

const SERVER_HELP = `Usage: fas server
       fas server rekey [--new-key KEY | --new-key-file FILE]

Starts the FaaSpot server, exactly as \`npm start\` does. 'fas server rekey' encrypts the functions'
contexts under a new secret key; see 'fas server rekey --help'.

The server logs to stdout: one JSON line per request and per ended execution, or text when stdout is
a terminal (FAASPOT_LOG_LEVEL, FAASPOT_LOG_FORMAT). With FAASPOT_METRICS_PORT set, a second listener
serves GET /metrics in the Prometheus text format, without a token, on FAASPOT_METRICS_HOST
(default 127.0.0.1). Settings come from the FAASPOT_* variables; see the README.
`;

/** Flags that may stand before the command's name. */
const LEADING_FLAGS = new Set(['--json', '--help', '-h', '--version']);

/** Takes the flags before the next name off `argv`; a UsageError for one that may not stand there. */
function leadingFlags(argv: string[], where: string): string[] {
  const flags: string[] = [];
  while (argv[0]?.startsWith('-')) {
    const token = argv.shift() as string;
    if (token === '--') break;
    if (!LEADING_FLAGS.has(token)) throw new UsageError(`Unknown option ${JSON.stringify(token)} before ${where}`);
    flags.push(token);
  }
  return flags;
}

const wantsHelp = (flags: readonly string[]) => flags.includes('--help') || flags.includes('-h');

/**
 * Runs `fas` with `argv` (without the node and script paths); returns the exit status, or
 * {@link EXIT_NONE} when the server was started and keeps the process alive.
 */
export async function runCli(argvIn: readonly string[], io: Io): Promise<number> {
  const argv = [...argvIn];
  let flags: string[];
  try {
    flags = leadingFlags(argv, 'the command');
  } catch (error) {
    io.err(`fas: ${(error as Error).message}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const command = argv.shift();
  if (command === undefined || command === 'help') {
    if (flags.includes('--version') && command === undefined) {
      io.out(`fas ${packageVersion()}\n`);
      return EXIT_OK;
    }
    io.out(HELP);
    return command === undefined && !wantsHelp(flags) ? EXIT_USAGE : EXIT_OK;
  }
  if (command === 'server' || command === 'serve') return server(argv, io);
  const group = GROUPS.find((g) => g.name === command);
  if (!group) {
    io.err(`fas: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  let groupFlags: string[];
  try {
    groupFlags = leadingFlags(argv, `the ${group.name} command`);
  } catch (error) {
    io.err(`fas: ${(error as Error).message}\n\n${groupHelp(group)}`);
    return EXIT_USAGE;
  }
  flags.push(...groupFlags);
  const name = argv.shift();
  if (name === undefined) {
    if (wantsHelp(flags)) {
      io.out(groupHelp(group));
      return EXIT_OK;
    }
    io.err(`fas: ${group.name} needs a command\n\n${groupHelp(group)}`);
    return EXIT_USAGE;
  }
  const spec = findCommand(group, name);
  if (!spec) {
    io.err(`fas: unknown command ${JSON.stringify(`${group.name} ${name}`)}\n\n${groupHelp(group)}`);
    return EXIT_USAGE;
  }
  const json = flags.includes('--json');
  try {
    const args = parseCommand(group, spec, [...flags.filter((f) => f !== '--version'), ...argv]);
    if (args.values.help === true) {
      io.out(commandHelp(group, spec));
      return EXIT_OK;
    }
    return await spec.run(args, makeContext(io, json || args.values.json === true));
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`fas: ${error.message}\n\nUsage: ${synopsis(group, spec)}\nRun 'fas ${group.name} ${spec.name} --help' for the options and examples.\n`);
      return EXIT_USAGE;
    }
    return reportError(error, io);
  }
}

async function server(argv: string[], io: Io): Promise<number> {
  if (argv[0] === 'rekey') return runRekey(argv.slice(1), io);
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(SERVER_HELP);
    return EXIT_OK;
  }
  // Loaded only here: the other commands start without the server's modules.
  const [{ ConfigError, loadConfig }, { serve }] = await Promise.all([import('../config.js'), import('../serve.js')]);
  try {
    await serve(loadConfig());
  } catch (error) {
    io.err(`fas: ${error instanceof ConfigError ? error.message : String(error)}\n`);
    return EXIT_FAILED;
  }
  return EXIT_NONE;
}
