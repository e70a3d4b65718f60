// Simulator scenarios: defaults from the schema, every problem reported with its path, device
// ids and failure windows planned, the ground truth written, and the example scenarios valid.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groundTruthCsv, writeGroundTruth } from '../../devices/ground-truth.js';
import { clockLeadWarning } from '../../devices/report.js';
import { loadScenarioFile, validateScenario } from '../../devices/scenario/load.js';
import { deviceIds, parseStartTime, planFleet } from '../../devices/scenario/plan.js';
import { errorOf } from '../helpers/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

const NOW = Date.UTC(2024, 10, 24, 12);
const motors = { kind: 'motor', count: 3, idPrefix: 'motor-', ratePerSec: 2 };

describe('scenario validation', () => {
  it('fills defaults from the schema and freezes the result', () => {
    const s = validateScenario({ groups: [motors] });
    expect(s.gateway).toEqual({ url: 'mqtt://127.0.0.1:1883', topicPrefix: 'sensors', qos: 0, maxInFlight: 100, reconnectMs: 1000 });
    expect(s.speedup).toBe(1);
    expect(s.seed).toBe(1);
    expect(s.startTime).toBe('now');
    expect(s.durationMs).toBeUndefined();
    expect(s.groups[0]!.transport).toBe('mqtt');
    expect(s.failures).toEqual([]);
    expect(Object.isFrozen(s.groups[0])).toBe(true);
  });

  it('reports every schema problem at once, each with its path', () => {
    const err = errorOf(() =>
      validateScenario({
        speedup: 0,
        surprise: true,
        gateway: { url: 'http://x', qos: 2 },
        groups: [{ kind: 'robot', count: 0, idPrefix: 'bad id', ratePerSec: 1, transport: 'carrier-pigeon' }],
        failures: [{ device: 'motor-001', mode: 'gremlins', startMs: -1, durationMs: 10 }],
      }),
    );
    expect(err.code).toBe('ERR_SCENARIO_INVALID');
    for (const expected of [
      '(root): unknown key "surprise"',
      'speedup: must be > 0',
      'gateway.url: must match pattern',
      'gateway.qos: must be one of 0, 1',
      'groups.0.kind: must be one of motor, pump, environment',
      'groups.0.count: must be >= 1',
      'groups.0.idPrefix: must match pattern',
      'groups.0.transport: must be one of mqtt, serial, modbus',
      'failures.0.mode: must be one of bearing-wear,',
      'failures.0.startMs: must be >= 0',
    ]) expect(err.message).toContain(expected);
    expect(err.message).not.toContain('must be equal to constant');
  });

  it('reports semantic problems together: unknown devices, inapplicable modes, clashes, late starts', () => {
    const err = errorOf(() =>
      validateScenario({
        durationMs: 60_000,
        groups: [motors, { kind: 'pump', count: 2, idPrefix: 'motor-', ratePerSec: 1, name: 'pumps' }, { kind: 'environment', count: 1, idPrefix: 'env-', ratePerSec: 1, transport: 'serial' }],
        failures: [
          { device: 'motor-009', mode: 'dropout', startMs: 0, durationMs: 10 },
          { device: 'pumps', mode: 'bearing-wear', startMs: 0, durationMs: 10 },
          { device: 'motor-001', mode: 'spikes', startMs: 0, durationMs: 10, skewMs: 5 },
          { device: 'motor', mode: 'duplicates', startMs: 60_000, durationMs: 10 },
        ],
        gateway: { passwords: { 'nobody-1': 'x' } },
      }),
    );
    expect(err.code).toBe('ERR_SCENARIO_INVALID');
    for (const expected of [
      'groups.1: device id motor-001 is also a device of groups.0',
      'groups.2.serial: required for transport serial',
      'failures.0.device: "motor-009" is neither a device id nor a group name',
      'failures.1.mode: bearing-wear applies to motor devices; pumps is pump',
      'failures.2.skewMs: only for mode clock-skew',
      'failures.3.startMs: 60000 is not before the end of the run',
      'gateway.passwords.nobody-1: no such device',
    ]) expect(err.message).toContain(expected);
  });

  it('limits a modbus group to 247 units and to failures a polled register can show', () => {
    const err = errorOf(() =>
      validateScenario({
        groups: [{ ...motors, count: 248, transport: 'modbus' }, { ...motors, idPrefix: 'x-', transport: 'mqtt', modbus: {} }],
        failures: [
          { device: 'motor', mode: 'clock-skew', startMs: 0, durationMs: 10 },
          { device: 'motor-001', mode: 'bearing-wear', startMs: 0, durationMs: 10 },
        ],
      }),
    );
    expect(err.message).toContain('groups.0.count: a Modbus line has at most 247 units');
    expect(err.message).toContain('groups.1.modbus: only for transport modbus');
    expect(err.message).toContain('failures.0.mode: clock-skew cannot happen on Modbus');
    expect(err.message).not.toContain('failures.1');
  });

  it('reads YAML files, with coded errors for unreadable and unparsable ones', () => {
    using dir = tempDir('tributary-scenario-');
    const good = join(dir.path, 'good.yaml');
    writeFileSync(good, 'groups:\n  - { kind: pump, count: 1, idPrefix: p-, ratePerSec: 1 }\n');
    expect(loadScenarioFile(good).groups[0]!.kind).toBe('pump');
    const bad = join(dir.path, 'bad.yaml');
    writeFileSync(bad, 'groups: [ {');
    expect(errorOf(() => loadScenarioFile(bad)).code).toBe('ERR_SCENARIO_PARSE');
    expect(errorOf(() => loadScenarioFile(join(dir.path, 'missing.yaml'))).code).toBe('ERR_SCENARIO_READ');
  });

  it('accepts every example scenario in devices/scenarios', () => {
    const folder = new URL('../../devices/scenarios/', import.meta.url);
    const files = readdirSync(folder).filter((f) => f.endsWith('.yaml'));
    expect(files).toEqual(expect.arrayContaining(['demo.yaml', 'fleet-1000.yaml', 'serial-lab.yaml']));
    for (const f of files) expect(() => loadScenarioFile(new URL(f, folder).pathname), f).not.toThrow();
    const fleet = planFleet(loadScenarioFile(new URL('fleet-1000.yaml', folder).pathname), NOW);
    expect(fleet.devices).toHaveLength(1000);
    expect(fleet.devices.every((d) => d.group.ratePerSec === 10 && d.group.transport === 'mqtt')).toBe(true);
  });
});

describe('fleet plan', () => {
  it('numbers devices from 1, zero-padded to at least three digits', () => {
    expect(deviceIds({ idPrefix: 'm-', count: 3 })).toEqual(['m-001', 'm-002', 'm-003']);
    expect(deviceIds({ idPrefix: 'm-', count: 1200 }).at(-1)).toBe('m-1200');
  });

  it('resolves startTime as now, now minus a duration, or ISO 8601', () => {
    expect(parseStartTime('now', NOW)).toBe(NOW);
    expect(parseStartTime('now-90m', NOW)).toBe(NOW - 90 * 60_000);
    expect(parseStartTime('now-2d', NOW)).toBe(NOW - 2 * 86_400_000);
    expect(parseStartTime('2024-01-01T00:00:00Z', NOW)).toBe(Date.UTC(2024, 0, 1));
    expect(parseStartTime('2024-02-30T00:00:00Z', NOW)).toBeUndefined();
    expect(errorOf(() => validateScenario({ startTime: 'yesterday', groups: [motors] })).message).toContain('startTime: must match pattern');
  });

  it('places failure windows on the absolute simulated time axis, with stable per-device seeds', () => {
    const s = validateScenario({
      startTime: '2024-11-24T00:00:00Z',
      seed: 9,
      groups: [motors],
      failures: [{ device: 'motor-002', mode: 'clock-skew', startMs: 1000, durationMs: 500 }],
    });
    const a = planFleet(s, NOW);
    expect(a.startTime).toBe(Date.UTC(2024, 10, 24));
    expect(a.failures).toEqual([
      expect.objectContaining({ device: 'motor-002', mode: 'clock-skew', start: Date.UTC(2024, 10, 24) + 1000, end: Date.UTC(2024, 10, 24) + 1500, skewMs: 30_000, severity: 1 }),
    ]);
    expect(planFleet(s, NOW + 1).devices.map((d) => d.seed)).toEqual(a.devices.map((d) => d.seed));
  });
});

describe('ground truth', () => {
  const s = validateScenario({
    startTime: '2024-11-24T00:00:00Z',
    groups: [motors],
    failures: [
      { device: 'motor', mode: 'bearing-wear', startMs: 60_000, durationMs: 600_000 },
      { device: 'motor-003', mode: 'dropout', startMs: 900_000, durationMs: 60_000 },
    ],
  });
  const plan = planFleet(s, NOW);

  it('has one row per device and failure, with ISO 8601 and ms', () => {
    expect(groundTruthCsv(plan.failures).split('\n')).toEqual([
      'device,failure,start,end,start_ms,end_ms',
      'motor-001,bearing-wear,2024-11-24T00:01:00.000Z,2024-11-24T00:11:00.000Z,1732406460000,1732407060000',
      'motor-002,bearing-wear,2024-11-24T00:01:00.000Z,2024-11-24T00:11:00.000Z,1732406460000,1732407060000',
      'motor-003,bearing-wear,2024-11-24T00:01:00.000Z,2024-11-24T00:11:00.000Z,1732406460000,1732407060000',
      'motor-003,dropout,2024-11-24T00:15:00.000Z,2024-11-24T00:16:00.000Z,1732407300000,1732407360000',
      '',
    ]);
  });

  it('leaves out failures the run never reached and cuts short those it stopped inside', () => {
    using dir = tempDir('tributary-truth-');
    const path = join(dir.path, 'truth.csv');
    writeGroundTruth(path, plan.failures, plan.startTime + 120_000);
    const rows = readFileSync(path, 'utf8').trim().split('\n');
    expect(rows).toHaveLength(4);
    expect(rows[1]).toBe('motor-001,bearing-wear,2024-11-24T00:01:00.000Z,2024-11-24T00:02:00.000Z,1732406460000,1732406520000');
    expect(errorOf(() => writeGroundTruth(join(dir.path, 'no/such/dir.csv'), plan.failures)).code).toBe('ERR_SCENARIO_WRITE');
  });
});

describe('clock lead warning', () => {
  it('warns when readings would run more than a minute ahead of the wall clock, and not otherwise', () => {
    expect(clockLeadWarning(NOW, NOW, 1, undefined)).toBeUndefined();
    expect(clockLeadWarning(NOW - 3_600_000, NOW, 60, 3_600_000)).toBeUndefined();
    expect(clockLeadWarning(NOW, NOW, 60, 3_600_000)).toContain('from 1:01 of simulated time on');
    expect(clockLeadWarning(NOW, NOW, 2, undefined)).toContain('from 2:00 of simulated time on');
  });
});
