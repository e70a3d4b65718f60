// Catching the coded error a synchronous call throws, to check its code and message.

import { TributaryError } from '../../edge/errors/catalogue.js';

export function errorOf(fn: () => unknown): TributaryError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TributaryError) return err;
    throw err;
  }
  throw new Error('expected a TributaryError');
}

/** The coded error a promise rejects with (fails if it resolves or rejects with anything else). */
export async function rejectionOf(promise: Promise<unknown>): Promise<TributaryError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TributaryError) return err;
    throw err;
  }
  throw new Error('expected the promise to reject with a TributaryError');
}

/** Resolve once `promise` rejects with a coded error of `code`; reject otherwise. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await rejectionOf(promise);
  if (err.code !== code) throw new Error(`expected ${code}, got ${err.code}: ${err.message}`);
}
