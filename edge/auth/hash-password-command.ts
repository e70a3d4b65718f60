// `tributary edge hash-password`: read a password on stdin and print the scrypt hash that goes
// into auth.users.<name>.passwordHash. The password is never taken from argv, where `ps` and
// shell history would see it.

import { parseArgs } from 'node:util';
import type { Io } from '../cli/io.js';
import { codedError } from '../errors/catalogue.js';
import { hashPassword } from './password.js';

const COMMAND = 'edge hash-password';
/** Longer input is refused rather than hashed: almost certainly a file piped in by mistake. */
const MAX_PASSWORD_BYTES = 1024;

const USAGE = `Usage:
  tributary edge hash-password [--password-stdin]

Reads one line (the password) from stdin and prints its scrypt hash, e.g.
  printf '%s\\n' "$DEVICE_PASSWORD" | tributary edge hash-password
Put the printed line in the config as auth.users.<name>.passwordHash.

Options:
  --password-stdin   read the password from stdin (the default and only source)
  -h, --help         this text
`;

export async function hashPasswordCommand(argv: string[], io: Io): Promise<number> {
  let values: { help?: boolean; 'password-stdin'?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: { help: { type: 'boolean', short: 'h' }, 'password-stdin': { type: 'boolean' } },
    }));
  } catch (err) {
    throw codedError('ERR_CLI_USAGE', [(err as Error).message, COMMAND], { cause: err });
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if ((io.stdin as { isTTY?: boolean }).isTTY) io.stderr.write('Password (input is shown): ');
  const password = await readLine(io.stdin);
  if (password.length === 0) throw codedError('ERR_CLI_USAGE', ['no password on stdin', COMMAND]);
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw codedError('ERR_CLI_USAGE', [`the password is longer than ${MAX_PASSWORD_BYTES} bytes`, COMMAND]);
  }
  io.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}

/** The first line of `stream` (without its line ending), then stop reading. */
function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: Error) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', finish);
      stream.pause(); // leave the rest unread so an interactive stdin does not keep the process alive
      if (error) return reject(error);
      const text = Buffer.concat(chunks).toString('utf8');
      const newline = text.indexOf('\n');
      resolve((newline === -1 ? text : text.slice(0, newline)).replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(buf);
      size += buf.length;
      if (buf.includes(0x0a) || size > MAX_PASSWORD_BYTES + 2) finish();
    };
    const onEnd = () => finish();
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', finish);
    stream.resume();
  });
}
