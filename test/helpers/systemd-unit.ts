// Reading a systemd unit file as the tests and benchmarks need it: its Key=Value lines, and how its
// ExecStart= runs node (the flags before the script, the Environment= it sets), so the e2e
// benchmark runs the gateway and the cloud exactly as tributary-edge.service and
// tributary-cloud.service do.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `Key=Value` lines of a unit file, each key with every value it was given. */
export function unitKeys(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) keys.set(m[1]!, [...(keys.get(m[1]!) ?? []), m[2]!]);
  }
  return keys;
}

/** The one value of `key`; throws unless it was given exactly once. */
export function one(keys: Map<string, string[]>, key: string): string {
  const values = keys.get(key);
  if (values?.length !== 1) throw new Error(`expected one ${key}=, got ${JSON.stringify(values)}`);
  return values[0]!;
}

export interface NodeLaunch {
  /** Node's own flags: what ExecStart= puts between /usr/bin/node and the script. */
  readonly nodeOptions: string[];
  /** The script and its arguments. */
  readonly args: string[];
  /** Every Environment= assignment. */
  readonly environment: Record<string, string>;
}

/** How a unit whose ExecStart= is `/usr/bin/node [--flag...] script [args...]` runs node. */
export function nodeLaunch(text: string): NodeLaunch {
  const keys = unitKeys(text);
  const [bin, ...rest] = one(keys, 'ExecStart').split(/\s+/);
  if (bin !== '/usr/bin/node') throw new Error(`ExecStart= runs ${bin}, not /usr/bin/node`);
  const script = rest.findIndex((a) => !a.startsWith('-'));
  const environment: Record<string, string> = {};
  for (const line of keys.get('Environment') ?? []) {
    for (const assignment of line.split(/\s+/).filter(Boolean)) {
      const at = assignment.indexOf('=');
      if (at < 1) throw new Error(`Environment=${line}: not NAME=value`);
      environment[assignment.slice(0, at)] = assignment.slice(at + 1);
    }
  }
  return { nodeOptions: rest.slice(0, script), args: rest.slice(script), environment };
}

/** tributary-edge.service as committed (this file runs from test/helpers/ or dist/test/helpers/). */
export function edgeServiceUnit(): string {
  return committed('edge/deploy/tributary-edge.service');
}

/** tributary-cloud.service as committed. */
export function cloudServiceUnit(): string {
  return committed('cloud/deploy/tributary-cloud.service');
}

function committed(path: string): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const repo = here.includes('/dist/test/') ? new URL('../../../', import.meta.url) : new URL('../../', import.meta.url);
  return readFileSync(new URL(path, repo), 'utf8');
}
