// How the API answers a failure: every error is JSON with its coded error —
// `{ statusCode, error, code, message, retryable, problems? }` — and an HTTP status chosen by the
// code. Store failures a retry may cure are 503; anything uncoded is a 500 whose detail goes to the
// log only, never to the caller.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { codedError, TributaryError, type ErrorCode } from '../../edge/errors/catalogue.js';
import type { Logger } from '../../edge/observe/log.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  ERR_API_BAD_REQUEST: 400,
  ERR_CLOUD_BAD_SCOPE_NAME: 400,
  ERR_API_UNAUTHENTICATED: 401,
  ERR_API_LOGIN_FAILED: 401,
  ERR_API_FORBIDDEN: 403,
  ERR_API_CROSS_ORIGIN: 403,
  ERR_API_NOT_FOUND: 404,
  ERR_CLOUD_ALERT_NOT_FOUND: 404,
  ERR_PUSH_TARGET: 404,
  // A config or model an admin pushes that no gateway could take.
  ERR_PUSH_PARSE: 400,
  ERR_PUSH_NEEDS_RESTART: 400,
  ERR_CONFIG_INVALID: 400,
  ERR_MODEL_READ: 400,
  ERR_MODEL_MANIFEST: 400,
  ERR_MODEL_MISMATCH: 400,
  ERR_PUSH_TOO_LARGE: 413,
  ERR_CLOUD_ALERT_TRANSITION: 409,
  ERR_API_TOO_MANY_ATTEMPTS: 429,
  ERR_API_INTERNAL: 500,
  ERR_NOT_OPEN: 503,
  ERR_API_STREAM_LIMIT: 503,
};

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly code: ErrorCode;
  readonly message: string;
  readonly retryable: boolean;
  readonly problems?: readonly string[];
}

/** The status a coded error answers with: its own, 503 for other retryable ones (storage), else 500. */
function statusOf(err: TributaryError): number {
  return STATUS[err.code] ?? (err.retryable ? 503 : 500);
}

export function errorBody(err: TributaryError, status = statusOf(err), problems?: readonly string[]): ErrorBody {
  return { statusCode: status, error: REASON[status] ?? 'Error', code: err.code, message: err.message, retryable: err.retryable, ...(problems ? { problems } : {}) };
}

/** A 400 listing each problem as `where: what`. */
export function badRequest(problems: readonly string[]): TributaryError & { problems: readonly string[] } {
  return Object.assign(codedError('ERR_API_BAD_REQUEST', [problems.length, problems.join('; ')]), { problems });
}

/** fastify's error handler: validation and body errors become ERR_API_BAD_REQUEST, coded errors keep their code. */
export function errorHandler(log: Logger) {
  return (error: FastifyError | TributaryError | Error, request: FastifyRequest, reply: FastifyReply): void => {
    let err: TributaryError;
    let status: number;
    let problems: readonly string[] | undefined;
    const fe = error as FastifyError;
    if (error instanceof TributaryError) {
      err = error;
      status = statusOf(err);
      problems = (error as { problems?: readonly string[] }).problems;
    } else if (fe.validation) {
      problems = fe.validation.map((v) => `${fe.validationContext ?? 'request'}${v.instancePath || ''}${describeParam(v.params)}: ${v.message ?? 'is invalid'}`);
      err = badRequest(problems);
      status = 400;
    } else if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      // fastify's own refusals: a body that is not JSON, too large, of the wrong content type.
      problems = [fe.message];
      err = badRequest(problems);
      status = fe.statusCode;
    } else {
      log.error({ err: error, method: request.method, route: request.routeOptions.url }, 'API request failed');
      err = codedError('ERR_API_INTERNAL', [`${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`]);
      status = 500;
    }
    if (status >= 500 && err.code !== 'ERR_API_INTERNAL') log.warn({ err, route: request.routeOptions.url }, 'API request failed');
    void reply.code(status).type('application/json; charset=utf-8').send(errorBody(err, status, problems));
  };
}

// ajv puts the offending key of `additionalProperties` and `required` in params, not in the path.
function describeParam(params: Record<string, unknown>): string {
  const key = params.additionalProperty ?? params.missingProperty;
  return typeof key === 'string' ? `/${key}` : '';
}
