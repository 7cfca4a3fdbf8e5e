#!/usr/bin/env node
import { ConfigError, loadConfig } from '../config.js';
import { serve } from '../serve.js';

const HELP = `fas: the FaaSpot command line

Usage:
  fas server         start the server (also: fas serve); settings come from FAASPOT_* variables
  fas --help         show this help

Settings (environment): FAASPOT_PORT, FAASPOT_HOST, FAASPOT_DATA_DIR, FAASPOT_ADMIN_TOKEN,
FAASPOT_WORKERS, FAASPOT_DEFAULT_TIMEOUT and more; see the README.
`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === 'server' || command === 'serve') {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write('Usage: fas server\n\nStarts the FaaSpot server, exactly as `npm start` does.\n');
      return 0;
    }
    await serve(loadConfig());
    return -1;
  }
  process.stderr.write(`fas: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`fas: ${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
