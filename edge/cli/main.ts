#!/usr/bin/env node
// `tributary`: one command line for every tier. Sub-commands are loaded on demand by name, so
// the edge package never imports cloud or devices code it does not run.

import { silenceDisabledDebug } from '../observe/quiet-debug.js';
import { commands } from './commands.js';
import { runCommand, type Io } from './io.js';

const io: Io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

const USAGE = `Usage: tributary <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`)
  .join('\n')}

Run \`tributary <command> --help\` for a command's options.
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    const { createRequire } = await import('node:module');
    io.stdout.write(`${(createRequire(import.meta.url)('../../../package.json') as { version: string }).version}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    io.stderr.write(`tributary: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  // Before the command's modules load, so the MQTT libraries' loggers are made silenced.
  silenceDisabledDebug();
  return runCommand(command, rest, io);
}

process.exitCode = await main(process.argv.slice(2));
