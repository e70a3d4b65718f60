// The Raspberry Pi deployment: edge/deploy/install.sh run into a temporary root on this machine,
// and the systemd units it installs checked by systemd's own tools.
//
// npm is replaced by a stub on PATH that records how it was called and leaves what the build
// would (dist/edge/cli/main.js, onnxruntime-node's per-platform folders): a real `npm ci` needs
// the registry and minutes. Everything else — systemd-sysusers, install, permissions — is real.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../edge/config/load.js';
import { nodeLaunch, one, unitKeys } from '../helpers/systemd-unit.js';
import { tempDir } from '../helpers/temp-dir.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = join(REPO, 'edge/deploy/install.sh');
const UNIT_DIR = 'usr/local/lib/systemd/system';
const UNITS = ['tributary-edge.service', 'tributary-cloud.service'];

const has = (command: string, ...args: string[]) => spawnSync(command, args).error === undefined;
const hasShellcheck = has('shellcheck', '--version');
const hasSystemd = has('systemd-analyze', '--version') && has('systemd-sysusers', '--version');
/** The units run /usr/bin/node, and `systemd-analyze verify` checks that it exists here. */
const hasUsrBinNode = existsSync('/usr/bin/node');
const asRoot = process.getuid?.() === 0;

/** An `npm` that records `cwd|args` and creates what each step would. */
const NPM_STUB = `#!/bin/sh
echo "$PWD|$*" >> "$NPM_LOG"
case "$1" in
  ci) for p in linux/x64 linux/arm64 darwin/arm64 win32/x64; do mkdir -p "node_modules/onnxruntime-node/bin/napi-v6/$p"; done ;;
  run) mkdir -p dist/edge/cli && printf '#!/usr/bin/env node\\n' > dist/edge/cli/main.js ;;
esac
`;

interface Staged {
  readonly root: string;
  readonly npmLog: string;
  install(...args: string[]): SpawnSyncReturns<string>;
  read(path: string): string;
  mode(path: string): number;
}

function stage(dir: string): Staged {
  const root = join(dir, 'root');
  const npmLog = join(dir, 'npm.log');
  writeFileSync(join(dir, 'npm'), NPM_STUB);
  chmodSync(join(dir, 'npm'), 0o755);
  return {
    root,
    npmLog,
    install: (...args) =>
      spawnSync('bash', [SCRIPT, '--root', root, ...args], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`, NPM_LOG: npmLog },
      }),
    read: (path) => readFileSync(join(root, path), 'utf8'),
    mode: (path) => statSync(join(root, path)).mode & 0o7777,
  };
}

/** Megabytes in a systemd size such as 256M or 1G. */
const megabytes = (size: string): number => Number(size.slice(0, -1)) * (size.endsWith('G') ? 1024 : size.endsWith('M') ? 1 : NaN);

/** The tributary group's id in the staged root's /etc/group. */
const groupId = (s: Staged, name: string): number => Number(s.read('etc/group').split('\n').find((l) => l.startsWith(`${name}:`))?.split(':')[2]);

describe.skipIf(!hasShellcheck)('install.sh is shellcheck-clean (skips without shellcheck)', () => {
  it('has no findings', () => {
    const r = spawnSync('shellcheck', [SCRIPT], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe.skipIf(!hasSystemd)('install.sh into a temporary root (skips without systemd-analyze and systemd-sysusers)', () => {
  it('lays out code, units, the user, config and secrets, with tight permissions, and starts nothing', () => {
    using dir = tempDir();
    const s = stage(dir.path);
    const hostHadUser = readFileSync('/etc/passwd', 'utf8').includes('\ntributary:');
    const r = s.install('--gateway-id', 'gw-pi-01');
    // stderr carries systemd-sysusers' report of what it created, and nothing else.
    expect(r.stderr.split('\n').filter((l) => l && !l.startsWith('Creating '))).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('nothing was started or enabled');

    // The build ran in the staging tree, in this order, and dev dependencies were pruned.
    const stagingDir = join(s.root, 'opt/tributary.new');
    expect(readFileSync(s.npmLog, 'utf8').trim().split('\n')).toEqual([
      `${stagingDir}|ci --no-audit --no-fund`,
      `${stagingDir}|run build`,
      `${stagingDir}|prune --omit=dev --no-audit --no-fund`,
    ]);
    expect(existsSync(stagingDir)).toBe(false);
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', '.npmrc', 'edge/cli/main.ts', 'edge/deploy/install.sh', 'cloud/deploy/tributary-cloud.service']) {
      expect(existsSync(join(s.root, 'opt/tributary', path)), path).toBe(true);
    }
    expect(existsSync(join(s.root, 'opt/tributary/test'))).toBe(false);
    expect(s.mode('opt/tributary/dist/edge/cli/main.js')).toBe(0o755);
    expect(readlinkSync(join(s.root, 'usr/local/bin/tributary'))).toBe('/opt/tributary/dist/edge/cli/main.js');
    // Only this machine's onnxruntime-node binaries are kept.
    const ort = 'opt/tributary/node_modules/onnxruntime-node/bin/napi-v6';
    expect(existsSync(join(s.root, ort, process.platform, process.arch))).toBe(true);
    expect(existsSync(join(s.root, ort, 'win32/x64'))).toBe(false);
    expect(existsSync(join(s.root, ort, 'darwin/arm64'))).toBe(false);

    // The system user, made by systemd-sysusers in the staged root only.
    expect(s.read('etc/passwd')).toMatch(/^tributary:x:\d+:\d+:[^:]*:\/var\/lib\/tributary:\/usr\/sbin\/nologin$/m);
    expect(s.read('etc/group')).toMatch(/^dialout:x:\d+:(.*,)?tributary(,.*)?$/m);
    expect(readFileSync('/etc/passwd', 'utf8').includes('\ntributary:')).toBe(hostHadUser);

    const files: Array<[string, number, string]> = [
      ['etc/tributary', 0o750, 'tributary'],
      ['etc/tributary/secrets', 0o750, 'tributary'],
      ['etc/tributary/edge.yaml', 0o640, 'tributary'],
      ['etc/tributary/secrets/http-token', 0o640, 'tributary'],
      [`${UNIT_DIR}/tributary-edge.service`, 0o644, 'root'],
      [`${UNIT_DIR}/tributary-cloud.service`, 0o644, 'root'],
      ['usr/local/lib/sysusers.d/tributary.conf', 0o644, 'root'],
      ['etc/systemd/journald.conf.d/60-tributary.conf', 0o644, 'root'],
      ['etc/modules-load.d/tributary.conf', 0o644, 'root'],
    ];
    for (const [path, mode, group] of files) {
      expect(s.mode(path).toString(8), path).toBe(mode.toString(8));
      if (asRoot) {
        const st = statSync(join(s.root, path));
        expect(st.uid, path).toBe(0);
        expect(st.gid, path).toBe(group === 'root' ? 0 : groupId(s, group));
      }
    }
    expect(s.read('etc/tributary/secrets/http-token')).toMatch(/^[0-9a-f]{64}$/);
    expect(s.read('etc/systemd/journald.conf.d/60-tributary.conf')).toBe(readFileSync(join(REPO, 'edge/deploy/journald.conf'), 'utf8'));
    expect(s.read('etc/modules-load.d/tributary.conf')).toMatch(/^usbserial$/m);

    // The config is valid as written, and its dataDir is the unit's state directory.
    const config = loadConfigFile(join(s.root, 'etc/tributary/edge.yaml'));
    expect(config.gateway.id).toBe('gw-pi-01');
    const unit = unitKeys(s.read(`${UNIT_DIR}/tributary-edge.service`));
    expect(config.dataDir).toBe(`/var/lib/${one(unit, 'StateDirectory')}`);
    expect(one(unit, 'WorkingDirectory')).toBe(config.dataDir);
  });

  it('is idempotent: a second run upgrades the code and keeps config, secrets and journald settings', () => {
    using dir = tempDir();
    const s = stage(dir.path);
    expect(s.install('--gateway-id', 'gw-pi-01').status).toBe(0);
    const kept = ['etc/tributary/edge.yaml', 'etc/tributary/secrets/http-token', 'etc/systemd/journald.conf.d/60-tributary.conf', 'etc/modules-load.d/tributary.conf'];
    for (const path of kept) writeFileSync(join(s.root, path), `edited by the admin: ${path}\n`);
    writeFileSync(join(s.root, 'opt/tributary/marker'), 'old code');

    const r = s.install('--gateway-id', 'gw-other');
    expect(r.status).toBe(0);
    for (const path of kept) {
      expect(s.read(path)).toBe(`edited by the admin: ${path}\n`);
      expect(r.stdout).toContain(`kept ${join(s.root, path)}`);
    }
    expect(existsSync(join(s.root, 'opt/tributary/marker'))).toBe(false);
    expect(s.read('opt/tributary.previous/marker')).toBe('old code');
    expect(s.read('etc/passwd').match(/^tributary:/gm)).toHaveLength(1);
    expect(s.mode('etc/tributary').toString(8)).toBe('750');
  });

  it.each([
    { args: ['--gateway-id', 'not a valid id'], status: 1, says: /gateway id "not a valid id"/ },
    { args: ['--start'], status: 1, says: /--start only works on this machine's root/ },
    { args: ['--purge'], status: 1, says: /--purge goes with --uninstall/ },
    { args: ['--frobnicate'], status: 2, says: /unknown option --frobnicate/ },
  ])('refuses $args with exit $status, before changing anything', ({ args, status, says }) => {
    using dir = tempDir();
    const s = stage(dir.path);
    const r = s.install(...args);
    expect(r.status).toBe(status);
    expect(r.stderr).toMatch(says);
    for (const path of ['opt/tributary', 'etc/tributary', 'etc/passwd']) expect(existsSync(join(s.root, path)), path).toBe(false);
  });

  it('--uninstall removes the code and units but keeps config and data; --purge removes those too', () => {
    using dir = tempDir();
    const s = stage(dir.path);
    expect(s.install('--gateway-id', 'gw-pi-01').status).toBe(0);
    expect(s.install('--uninstall').status).toBe(0);
    for (const gone of ['opt/tributary', `${UNIT_DIR}/tributary-edge.service`, `${UNIT_DIR}/tributary-cloud.service`, 'usr/local/lib/sysusers.d/tributary.conf']) {
      expect(existsSync(join(s.root, gone)), gone).toBe(false);
    }
    expect(() => lstatSync(join(s.root, 'usr/local/bin/tributary'))).toThrow();
    expect(existsSync(join(s.root, 'etc/tributary/edge.yaml'))).toBe(true);
    expect(s.install('--uninstall', '--purge').status).toBe(0);
    for (const gone of ['etc/tributary', 'etc/systemd/journald.conf.d/60-tributary.conf', 'etc/modules-load.d/tributary.conf']) {
      expect(existsSync(join(s.root, gone)), gone).toBe(false);
    }
  });
});

describe.skipIf(!hasSystemd || !hasUsrBinNode)('the installed systemd units (skips without systemd-analyze, systemd-sysusers or /usr/bin/node)', () => {
  // Checked as installed in the temporary root. Not with `--root`: verify then wants a whole OS
  // tree there (sysinit.target, /usr/bin/node). Without it, systemd-analyze parses the file,
  // loads the targets it names from this machine, and checks that ExecStart's /usr/bin/node exists.
  it.each(UNITS)('%s passes systemd-analyze verify with no warnings, and rates exposure 2.0 or less', (name) => {
    using dir = tempDir();
    const s = stage(dir.path);
    expect(s.install('--gateway-id', 'gw-pi-01').status).toBe(0);
    const path = join(s.root, UNIT_DIR, name);
    const verify = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
    expect(verify.stderr + verify.stdout).toBe('');
    expect(verify.status).toBe(0);
    // --threshold is in tenths: 20 means an overall exposure of at most 2.0 (of 10).
    const security = spawnSync('systemd-analyze', ['security', '--offline=yes', '--threshold=20', path], { encoding: 'utf8' });
    expect(security.stdout).toMatch(/Overall exposure level/);
    expect(security.status).toBe(0);
  });

  it('systemd-analyze verify does fail on a broken unit (so the check above can fail)', () => {
    using dir = tempDir();
    const broken = join(dir.path, 'broken.service');
    writeFileSync(broken, readFileSync(join(REPO, 'edge/deploy/tributary-edge.service'), 'utf8').replace('/usr/bin/node', '/usr/bin/no-such-node').replace('KillMode=mixed', 'KillMode=mixed\nWatchdogSecs=30s'));
    const verify = spawnSync('systemd-analyze', ['verify', broken], { encoding: 'utf8' });
    expect(verify.stderr).toMatch(/WatchdogSecs/);
    expect(verify.stderr).toMatch(/no-such-node/);
    expect(verify.status).not.toBe(0);
  });

  it.each([
    { name: 'tributary-edge.service', command: 'edge', config: '/etc/tributary/edge.yaml' },
    { name: 'tributary-cloud.service', command: 'cloud', config: '/etc/tributary/cloud.yaml' },
  ])('$name agrees with the installed tree, the user and its own limits', ({ name, command, config }) => {
    const text = readFileSync(join(REPO, name.includes('edge') ? 'edge/deploy' : 'cloud/deploy', name), 'utf8');
    const unit = unitKeys(text);
    const bin = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: { tributary: string } }).bin.tributary;
    const launch = nodeLaunch(text);
    expect(launch.args).toEqual([`/opt/tributary/${bin}`, command, '--config', config]);
    const heapMB = launch.nodeOptions.find((o) => o.startsWith('--max-old-space-size='))?.split('=')[1];
    expect(heapMB).toMatch(/^\d+$/);
    // Node takes the unit's flags and environment as they are (a mistyped V8 flag is an error, not ignored).
    const node = spawnSync(process.execPath, [...launch.nodeOptions, '-e', '0'], { encoding: 'utf8', env: { ...process.env, ...launch.environment } });
    expect(node.stderr).toBe('');
    expect(node.status).toBe(0);
    // The heap cap sits below the throttle point, which sits below the hard limit.
    expect(Number(heapMB)).toBeLessThan(megabytes(one(unit, 'MemoryHigh')));
    expect(megabytes(one(unit, 'MemoryHigh'))).toBeLessThan(megabytes(one(unit, 'MemoryMax')));
    // Readiness and the watchdog come from a systemd-notify child, which only NotifyAccess=all admits.
    expect(one(unit, 'Type')).toBe('notify');
    expect(one(unit, 'NotifyAccess')).toBe('all');
    expect(one(unit, 'WatchdogSec')).toMatch(/^\d+s$/);
    expect(one(unit, 'Restart')).toBe('on-failure');
    expect(one(unit, 'KillSignal')).toBe('SIGTERM');
    expect(one(unit, 'User')).toBe('tributary');
    expect(readFileSync(join(REPO, 'edge/deploy/sysusers.conf'), 'utf8')).toMatch(/^u tributary /m);
    expect(one(unit, 'CapabilityBoundingSet')).toBe('');
    expect(one(unit, 'ProtectSystem')).toBe('strict');
  });
});
