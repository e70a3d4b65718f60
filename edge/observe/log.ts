// Structured JSON logs (pino) with secrets redacted wherever they might appear.

import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths whose values are never written to a log line. */
export const REDACTED_PATHS = [
  'password', '*.password', 'passwordHash', '*.passwordHash', 'token', '*.token', 'tokenHash', '*.tokenHash',
  'authorization', '*.authorization', 'headers.authorization', 'cookie', '*.cookie', 'headers.cookie',
  'secret', '*.secret', 'set-cookie', 'headers["set-cookie"]',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, base: { app: 'tributary' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime },
    destination ?? pino.destination({ sync: false }),
  );
}

/** A logger that writes nothing, for tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
