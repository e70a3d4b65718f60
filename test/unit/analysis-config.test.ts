// The `detectors` and `alerts` config: defaults from the schema, unknown keys refused within the
// chosen rule or detector type, and the semantic checks, each problem reported with its path.

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { checkAnalysisConfig } from '../../edge/config/analysis-check.js';
import { validateAnalysisConfig } from '../../edge/config/analysis-load.js';
import { errorOf } from '../helpers/errors.js';
import { ONE_MIN, TEN_S } from './alert-harness.js';

const windows = { definitions: [TEN_S, ONE_MIN] };
const problemsOf = (raw: unknown): string => errorOf(() => validateAnalysisConfig(raw, windows)).message;

describe('analysis config schema', () => {
  it('fills every default: detector params, rule severity and hysteresis, state bounds', () => {
    const c = validateAnalysisConfig({
      detectors: [{ name: 'z', kind: 'robust-z', feature: 'vib_rms.mean' }, { name: 'ls', kind: 'level-shift', feature: 'vib_rms.mean', params: { recent: 3 } }],
      alerts: { rules: [{ type: 'threshold', name: 'hot', feature: 'bearing_temp.mean', above: 80 }, { type: 'score', name: 's' }, { type: 'rate-of-change', name: 'r', feature: 'x.mean', limitPerSecond: 1 }] },
    });
    expect(c.detectors.map((d) => d.params)).toEqual([
      { window: 60, minSamples: 20, threshold: 4, minScale: 0 },
      { recent: 3, reference: 30, minSamples: 20, threshold: 3, spikeThreshold: 6, spikes: true, minScale: 0 },
    ]);
    expect(c.alerts.rules[0]).toEqual({ type: 'threshold', name: 'hot', feature: 'bearing_temp.mean', above: 80, severity: 'warning', raiseAfter: 1, clearAfter: 1 });
    expect(c.alerts.rules[1]).toMatchObject({ inWindows: 1, ofWindows: 1 });
    expect(c.alerts.rules[2]).toMatchObject({ direction: 'either' });
    expect(c.alerts).toMatchObject({ forgetAfterMs: 86_400_000, maxDevices: 100_000 });
    expect(validateAnalysisConfig({})).toEqual({ detectors: [], alerts: { rules: [], forgetAfterMs: 86_400_000, maxDevices: 100_000 } });
    expect(Object.isFrozen(c.alerts.rules[0])).toBe(true);
  });

  it('reading-threshold: hysteresis in readings defaulting like the windowed rules, and no window key', () => {
    const c = validateAnalysisConfig({ alerts: { rules: [{ type: 'reading-threshold', name: 'vib-spike', metric: 'vib_rms', above: 2.8 }] } });
    expect(c.alerts.rules[0]).toEqual({ type: 'reading-threshold', name: 'vib-spike', metric: 'vib_rms', above: 2.8, severity: 'warning', raiseAfter: 1, clearAfter: 1 });
    const message = problemsOf({
      alerts: {
        rules: [
          { type: 'reading-threshold', name: 'a', metric: 'vib_rms', above: 1, window: TEN_S },
          { type: 'reading-threshold', name: 'b', metric: '9bad', above: 1 },
          { type: 'reading-threshold', name: 'c', metric: 'x', above: 1, raiseAfter: 0 },
          { type: 'reading-threshold', name: 'd', feature: 'x.mean', above: 1 },
        ],
      },
    });
    expect(message).toContain('alerts.rules.0: unknown key "window"');
    expect(message).toContain('alerts.rules.1.metric: must match pattern');
    expect(message).toContain('alerts.rules.2.raiseAfter: must be >= 1');
    expect(message).toContain('alerts.rules.3: unknown key "feature"');
  });

  it("reports the problems of the type a rule names, each with its path, and nothing from the other types", () => {
    const message = problemsOf({
      detectors: [{ name: 'z', kind: 'robust-z', feature: 'temp.mean', params: { window: 2 } }],
      alerts: {
        rules: [
          { type: 'threshold', name: 'hot', feature: 'temp.average', above: 80, hysteresis: 3 },
          { type: 'silent', name: 'quiet', afterMs: 1000, raiseAfter: 2 },
          { type: 'bogus', name: 'x' },
          { type: 'score', name: 'bad name!' },
        ],
      },
    });
    expect(message).toContain('detectors.0.params.window: must be >= 3');
    expect(message).toContain('alerts.rules.0.feature: must match pattern');
    expect(message).toContain('alerts.rules.0: unknown key "hysteresis"');
    expect(message).toContain('alerts.rules.1: unknown key "raiseAfter"'); // silent has no window hysteresis
    expect(message).toContain('alerts.rules.2: value of tag "type" must be in oneOf');
    expect(message).toContain('alerts.rules.3.name: must match pattern');
    expect(message).not.toContain('limitPerSecond');
  });
});

describe('checkAnalysisConfig', () => {
  const z = { name: 'z', kind: 'robust-z', feature: 'temp.mean' };
  const cases: Array<{ name: string; raw: unknown; problem: string }> = [
    { name: 'duplicate detector names', raw: { detectors: [z, z] }, problem: 'detectors: name z is used twice' },
    {
      name: 'duplicate rule names',
      raw: { alerts: { rules: [{ type: 'score', name: 's' }, { type: 'silent', name: 's', afterMs: 1 }] } },
      problem: 'alerts.rules: name s is used twice',
    },
    { name: 'a detector rule naming no detector', raw: { alerts: { rules: [{ type: 'detector', name: 'd', detector: 'zz' }] } }, problem: 'alerts.rules.0.detector: no detector is named zz' },
    {
      name: 'a detector rule on another window than its detector',
      raw: { detectors: [z], alerts: { rules: [{ type: 'detector', name: 'd', detector: 'z', window: ONE_MIN }] } },
      problem: 'alerts.rules.0.window: the rule looks at hopping/60000/10000 but detector z runs on tumbling/10000',
    },
    {
      name: 'a change filter on a detector that does not report changes',
      raw: { detectors: [z], alerts: { rules: [{ type: 'detector', name: 'd', detector: 'z', change: 'spike' }] } },
      problem: 'alerts.rules.0.change: detector z is robust-z',
    },
    { name: 'a window not among the definitions', raw: { detectors: [{ ...z, window: { kind: 'tumbling', sizeMs: 5000 } }] }, problem: 'detectors.0.window: tumbling/5000 is not one of windows.definitions' },
    { name: 'warm-up longer than the history', raw: { detectors: [{ ...z, params: { window: 10, minSamples: 11 } }] }, problem: 'detectors.0.params.minSamples: 11 exceeds the window (10)' },
    { name: 'threshold without limits', raw: { alerts: { rules: [{ type: 'threshold', name: 't', feature: 'a.mean' }] } }, problem: 'alerts.rules.0: set above, below or both' },
    { name: 'threshold above ≤ below', raw: { alerts: { rules: [{ type: 'threshold', name: 't', feature: 'a.mean', above: 1, below: 2 }] } }, problem: 'alerts.rules.0: above (1) must exceed below (2)' },
    { name: 'threshold at 0 without an update step', raw: { alerts: { rules: [{ type: 'threshold', name: 't', feature: 'a.mean', below: 0 }] } }, problem: 'alerts.rules.0.updateStep: required when a limit is 0' },
    { name: 'N of M with N > M', raw: { alerts: { rules: [{ type: 'score', name: 's', inWindows: 3, ofWindows: 2 }] } }, problem: 'alerts.rules.0.inWindows: 3 exceeds ofWindows (2)' },
    { name: 'reading-threshold without limits', raw: { alerts: { rules: [{ type: 'reading-threshold', name: 'r', metric: 'a' }] } }, problem: 'alerts.rules.0: set above, below or both' },
    { name: 'reading-threshold above ≤ below', raw: { alerts: { rules: [{ type: 'reading-threshold', name: 'r', metric: 'a', above: 2, below: 2 }] } }, problem: 'alerts.rules.0: above (2) must exceed below (2)' },
    { name: 'reading-threshold at 0 without an update step', raw: { alerts: { rules: [{ type: 'reading-threshold', name: 'r', metric: 'a', above: 0 }] } }, problem: 'alerts.rules.0.updateStep: required when a limit is 0' },
    {
      name: 'a reading-threshold named like another rule',
      raw: { alerts: { rules: [{ type: 'threshold', name: 'v', feature: 'a.mean', above: 1 }, { type: 'reading-threshold', name: 'v', metric: 'a', above: 1 }] } },
      problem: 'alerts.rules: name v is used twice',
    },
    {
      name: 'silent longer than the device is remembered',
      raw: { alerts: { forgetAfterMs: 60_000, rules: [{ type: 'silent', name: 'q', afterMs: 60_000 }] } },
      problem: 'alerts.rules.0.afterMs: 60000 is not below alerts.forgetAfterMs (60000)',
    },
  ];

  it.each(cases)('$name', ({ raw, problem }) => {
    const message = problemsOf(raw);
    expect(message).toContain(problem);
    expect(message.match(/^ {2}- /gm)).toHaveLength(1);
  });

  it('finds nothing wrong with a sound config', () => {
    const c = validateAnalysisConfig({
      detectors: [z, { name: 'ls', kind: 'level-shift', feature: 'temp.mean', window: TEN_S }],
      alerts: { rules: [{ type: 'detector', name: 'd', detector: 'ls', change: 'level-shift' }, { type: 'threshold', name: 't', feature: 'a.mean', below: 0, updateStep: 1 }] },
    });
    expect(checkAnalysisConfig(c, windows)).toEqual([]);
  });
});
