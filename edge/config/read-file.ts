// Reads a file a config points at (certificate, key, password or token file), with a coded error
// that names which file and why, never its contents.

import { readFile } from 'node:fs/promises';
import { codedError } from '../errors/catalogue.js';

/** @param what what the file is for, e.g. `TLS certificate`, shown in the error. */
export async function readConfiguredFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw codedError('ERR_FILE_READ', [what, path, (err as NodeJS.ErrnoException).code ?? (err as Error).message], { cause: err });
  }
}

/** A secret kept in a file (password, token): its text without the one final line break editors add. */
export async function readSecretFile(path: string, what: string): Promise<string> {
  return (await readConfiguredFile(path, what)).toString('utf8').replace(/\r?\n$/, '');
}
