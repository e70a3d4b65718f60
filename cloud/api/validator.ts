// How request parts are checked against their TypeBox schemas: query strings and URL params are
// text, so numbers and lists there are coerced (`limit=5` → 5); a JSON body already has types, so
// it is checked as sent (`{"note": 7}` is refused, not turned into "7"). Every problem is reported,
// and unknown keys are refused rather than silently removed.

import type { FastifySchemaCompiler } from 'fastify';
import { Ajv } from 'ajv';

const common = { allErrors: true, useDefaults: true, removeAdditional: false, strict: true, strictTypes: false, allowUnionTypes: true } as const;
const text = new Ajv({ ...common, coerceTypes: 'array' });
const json = new Ajv({ ...common, coerceTypes: false });

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => (httpPart === 'body' ? json : text).compile(schema);
