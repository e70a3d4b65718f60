// The `e2e` benchmark's real processes: `tributary cloud` and `tributary edge` started from the
// built CLI with a config file each, what the kernel says they use (CPU time and resident memory
// from /proc), and the counters a gateway serves on /metrics.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI (this file runs from dist/test/bench/e2e/). */
const CLI_MAIN = fileURLToPath(new URL('../../../edge/cli/main.js', import.meta.url));

export interface CliProcess {
  /** `tributary edge` or `tributary cloud`. */
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Write `config` (JSON, which YAML reads) as `<dir>/<name>.json` and run `tributary <command>
 * --config` on it; resolves once stderr says it is running. `nodeOptions` go before the CLI's path;
 * `env` is set over this process's environment.
 */
export function startCli(dir: string, name: string, command: 'edge' | 'cloud', config: unknown, nodeOptions: readonly string[] = [], env: Readonly<Record<string, string>> = {}): Promise<CliProcess> {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(config));
  const child = spawn(process.execPath, [...nodeOptions, CLI_MAIN, command, '--config', path], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc: CliProcess = {
    name: `tributary ${command}`,
    child,
    pid: child.pid!,
    exited,
    stderr: () => stderr,
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/ running[;\n]/.test(stderr)) resolve(proc);
    });
    void exited.then((code) => reject(new Error(`tributary ${command} exited (${code}) before it was running: ${stderr.slice(-2000)}`)));
  });
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface ProcUsage {
  /** CPU time used, user + system (ms). */
  readonly cpuMs: number;
  /** Resident set (VmRSS) and its parts: anonymous memory (heaps, stacks) and file-backed pages (code, mapped files). */
  readonly rssMB: number;
  readonly anonMB: number;
  readonly fileMB: number;
}

/** CPU time a process has used and its resident set, from /proc. */
export function procUsage(pid: number): ProcUsage {
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) / 1024;
  return { cpuMs, rssMB: mb('VmRSS'), anonMB: mb('RssAnon'), fileMB: mb('RssFile') };
}
