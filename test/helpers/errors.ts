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
