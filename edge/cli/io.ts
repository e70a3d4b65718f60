// What a CLI command gets to talk to, and how a command's failure becomes an exit code.

import { parseArgs, type ParseArgsConfig } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;
import { codedError, TributaryError } from '../errors/catalogue.js';

export interface Io {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export interface Command {
  /** One line for `tributary --help`. */
  readonly summary: string;
  /** Run with the arguments after the command name; resolves to the exit code. */
  readonly run: (argv: string[], io: Io) => Promise<number>;
}

/** Run a command, turning a coded error into its message on stderr and exit code 1. */
export async function runCommand(command: Command, argv: string[], io: Io): Promise<number> {
  try {
    return await command.run(argv, io);
  } catch (err) {
    if (err instanceof TributaryError) {
      io.stderr.write(`tributary: ${err.code}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** Parse a command's options; a usage mistake becomes ERR_CLI_USAGE naming the command. */
export function parseOptions<const O extends ParseArgsOptionsConfig>(argv: string[], options: O, command: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true });
  } catch (err) {
    throw codedError('ERR_CLI_USAGE', [(err as Error).message, command], { cause: err });
  }
}

/** The value of a required option, or ERR_CLI_USAGE saying it is missing. */
export function requireOption(value: string | undefined, flag: string, command: string): string {
  if (!value) throw codedError('ERR_CLI_USAGE', [`${flag} is required`, command]);
  return value;
}
