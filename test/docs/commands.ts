// The README's command reference: every `tributary` command and sub-command with the text its own
// `--help` prints, run in process with a captured Io (no build, no child processes).
//
// Commands come from the registry (edge/cli/commands.ts). Sub-commands are not registered
// anywhere but in each command's usage text, so they are read from it: a usage line
// `tributary <command> <word> ...` whose word is not an option names one.

import { Readable, Writable } from 'node:stream';
import { commands } from '../../edge/cli/commands.js';
import { runCommand, type Io } from '../../edge/cli/io.js';
import { code, prose, table } from './markdown.js';

export interface CommandHelp {
  /** `edge`, `edge inspect`, ... */
  readonly name: string;
  readonly summary?: string;
  readonly help: string;
}

/** What `tributary <argv> --help` prints on stdout. Throws when it fails or writes to stderr. */
export async function helpOf(argv: readonly string[]): Promise<string> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : commands[name];
  if (!command) throw new TypeError(`no command ${name}`);
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        add(String(chunk));
        done();
      },
    });
  const io: Io = { stdin: Readable.from([]), stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)) };
  const exit = await runCommand(command, [...rest, '--help'], io);
  if (exit !== 0 || err !== '') throw new TypeError(`tributary ${argv.join(' ')} --help exited ${exit}: ${err}`);
  return out;
}

/** The sub-commands a command's usage text names, in the order it names them. */
export function subCommandsIn(command: string, help: string): string[] {
  const found: string[] = [];
  const line = new RegExp(`^\\s*(?:Usage:\\s*)?tributary ${command} ([a-z][a-z0-9-]*)\\b`, 'gm');
  for (const m of help.matchAll(line)) if (!found.includes(m[1]!)) found.push(m[1]!);
  return found;
}

/** Every command in registry order, each followed by its sub-commands. */
export async function commandHelps(): Promise<CommandHelp[]> {
  const out: CommandHelp[] = [];
  for (const [name, command] of Object.entries(commands)) {
    const help = await helpOf([name]);
    out.push({ name, summary: command.summary, help });
    for (const sub of subCommandsIn(name, help)) out.push({ name: `${name} ${sub}`, help: await helpOf([name, sub]) });
  }
  return out;
}

/** The summary table, then each command's help; a sub-command printing its parent's text says so. */
export async function commandsMarkdown(): Promise<string> {
  const helps = await commandHelps();
  const summary = table(
    ['command', 'what it does'],
    helps.filter((h) => h.summary !== undefined).map((h) => [code(`tributary ${h.name}`), prose(h.summary!)]),
  );
  const sections = helps.map((h) => {
    const parent = helps.find((p) => h.name.startsWith(`${p.name} `));
    const title = `**${code(`tributary ${h.name} --help`)}**`;
    if (parent && parent.help === h.help) return `${title}: the same text as ${code(`tributary ${parent.name} --help`)}.`;
    const fence = '`'.repeat(Math.max(3, ...(h.help.match(/`{3,}/g) ?? []).map((r) => r.length + 1)));
    return `${title}\n\n${fence}text\n${h.help.trimEnd()}\n${fence}`;
  });
  return [summary, ...sections].join('\n\n');
}
