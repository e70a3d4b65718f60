// One way to load a YAML file against a TypeBox schema, shared by the gateway config and the
// simulator's scenarios: defaults from the schema, unknown keys refused, every problem reported
// together with its path, semantic checks after the schema, the result deep-frozen.

import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { codedError, type ErrorCode } from '../errors/catalogue.js';

export interface SchemaFileOptions<T> {
  /** Coded errors for an unreadable file, bad YAML (both take the path) and a failed validation. */
  readonly codes: { readonly read: ErrorCode; readonly parse: ErrorCode; readonly invalid: ErrorCode };
  /** Checks the schema cannot express; each returned string is one problem, `path: what`. */
  readonly semantics?: (value: T) => string[];
  /** Last checks that throw their own coded error (e.g. insecure settings). */
  readonly finally?: (value: T) => void;
}

export interface SchemaFile<T> {
  /** Read, parse and validate a YAML file. */
  load(path: string): Readonly<T>;
  /** Validate an already parsed value (a deep copy is taken; the input is not changed). */
  validate(raw: unknown): Readonly<T>;
  /** As validate, but the problems come back instead of being thrown (for callers with their own error code); `finally` is not run. */
  check(raw: unknown): { readonly value: Readonly<T>; readonly problems?: undefined } | { readonly value?: undefined; readonly problems: string[] };
}

// `discriminator`: unions of objects tagged by a key (alert rules by `type`) get their defaults
// filled in and report the problems of the branch their tag picks, not of every branch.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictTypes: false, allowUnionTypes: true, verbose: true, discriminator: true });

export function schemaFile<T>(schema: TSchema, options: SchemaFileOptions<T>): SchemaFile<T> {
  const check = ajv.compile<T>(schema);
  const fail = (problems: string[]): never => {
    throw codedError(options.codes.invalid, [problems.length, problems.map((p) => `  - ${p}`).join('\n')]);
  };
  const checkValue = (raw: unknown) => {
    const value = structuredClone(raw);
    if (!check(value)) return { problems: describe(check.errors ?? []) };
    const v = value as T;
    const problems = options.semantics?.(v) ?? [];
    return problems.length ? { problems } : { value: v };
  };
  const validate = (raw: unknown): Readonly<T> => {
    const { value, problems } = checkValue(raw);
    if (problems) fail(problems);
    options.finally?.(value as T);
    return deepFreeze(value as T);
  };
  return {
    validate,
    check(raw) {
      const { value, problems } = checkValue(raw);
      return problems ? { problems } : { value: deepFreeze(value as T) };
    },
    load(path) {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        throw codedError(options.codes.read, [path], { cause: err });
      }
      let raw: unknown;
      try {
        raw = parseYaml(text);
      } catch (err) {
        throw codedError(options.codes.parse, [path, (err as Error).message], { cause: err });
      }
      return validate(raw ?? {});
    },
  };
}

/** Ajv's errors as `path: problem` lines, one per problem. */
function describe(errors: ErrorObject[]): string[] {
  const out = new Set<string>();
  for (const e of errors) {
    // A union's branches each report `const`; the union's own error below says it better.
    if (e.keyword === 'const' || (e.keyword === 'type' && e.schemaPath.includes('/anyOf/'))) continue;
    const path = e.instancePath === '' ? '(root)' : e.instancePath.slice(1).replace(/\//g, '.');
    if (e.keyword === 'additionalProperties') {
      out.add(`${path}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`);
    } else if (e.keyword === 'anyOf') {
      const allowed = (e.schema as Array<{ const?: unknown }>).map((s) => s.const);
      out.add(allowed.every((a) => a !== undefined) ? `${path}: must be one of ${allowed.join(', ')}` : `${path}: matches none of the allowed forms`);
    } else {
      out.add(`${path}: ${e.message ?? e.keyword}`);
    }
  }
  return [...out];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
