import { pino, type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { LogFormat, LogLevel } from '../config.js';

export type { DestinationStream, Logger };

/** Settings of {@link createLogger}. */
export interface LoggerConfig {
  /** Least severe line written; `silent` writes none. */
  level: LogLevel;
  /** `auto`: pretty when the destination is stdout and stdout is a terminal, else JSON. */
  format: LogFormat;
  /**
   * Where lines go, one `write` per line; default stdout, written synchronously. A test passes an
   * object that keeps the lines.
   *
   * @example { write: (line: string) => lines.push(line) }
   */
  destination?: DestinationStream;
}

/**
 * The server's logger: one JSON object a line (`level` as a word, `time` in ms since the epoch, `msg`,
 * and the fields given), or pino-pretty's text for a person at a terminal. Lines are written
 * synchronously, in this thread: nothing is lost when the process exits right after a line, and no
 * transport thread competes with the workers for the cores.
 */
export function createLogger(config: LoggerConfig): Logger {
  const toStdout = config.destination === undefined;
  const destination = config.destination ?? pino.destination({ dest: 1, sync: true });
  const pretty = config.format === 'pretty' || (config.format === 'auto' && toStdout && process.stdout.isTTY === true);
  return pino(
    {
      level: config.level,
      formatters: { level: (label) => ({ level: label }) },
    },
    pretty ? prettyStream(destination, toStdout && process.stdout.isTTY === true) : destination,
  );
}

/** pino-pretty's formatter used in-process: each JSON line is turned into text and written at once. */
function prettyStream(destination: DestinationStream, colorize: boolean): DestinationStream {
  const prettify = pinoPretty.prettyFactory({ colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return {
    write(line: string) {
      destination.write(prettify(line));
    },
  };
}
