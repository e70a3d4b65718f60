// What a CLI command gets to talk to, and how a command's failure becomes an exit code.

import { TributaryError } from '../errors/catalogue.js';

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
