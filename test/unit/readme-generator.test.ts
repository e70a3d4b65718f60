// The README generator's parts (test/docs/): the metric source reader against the call styles the
// code uses and against a live Registry, the config-key walk, the block markers, the help parsing.

import { Type } from '@sinclair/typebox';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { brokerMetrics } from '../../edge/source/mqtt-broker/metrics.js';
import { modbusMetrics } from '../../edge/source/modbus/metrics.js';
import { serialMetrics } from '../../edge/source/serial/metrics.js';
import { analysisMetrics } from '../../edge/analysis/metrics.js';
import { pipelineMetrics } from '../../edge/gateway/pipeline-metrics.js';
import { Registry } from '../../edge/observe/metrics.js';
import { outboxMetrics } from '../../edge/outbox/metrics.js';
import { ingestLogMetrics } from '../../edge/store/ingest-log-metrics.js';
import { uplinkMetrics } from '../../edge/uplink/metrics.js';
import { parseTopic, topicCatalogue, UPLINK_CLASSES, uplinkTopics, type UplinkClass } from '../../edge/uplink/topics.js';
import { ingestMetrics } from '../../cloud/ingest/ingest-metrics.js';
import { blocks, findBlocks, replaceBlocks } from '../docs/blocks.js';
import { subCommandsIn } from '../docs/commands.js';
import { configRows, type JsonSchema } from '../docs/config-keys.js';
import { errorGroups } from '../docs/errors.js';
import { lineDiff } from '../docs/line-diff.js';
import { mentionedNames, scanSource } from '../docs/metric-source.js';
import { metricCatalogue } from '../docs/metrics.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `tributary_…` names in the source that are not metrics. */
const NOT_METRICS = ['tributary_session'];

describe('metric source reader', () => {
  const cases: { what: string; source: string; metrics: { name: string; type: string; help: string; labels: string[] }[]; unread?: string[] }[] = [
    {
      what: 'a literal name, help and labels',
      source: `registry.counter('tributary_a_total', 'Things, by kind', ['kind', "zone"]);`,
      metrics: [{ name: 'tributary_a_total', type: 'counter', help: 'Things, by kind', labels: ['kind', 'zone'] }],
    },
    {
      what: 'a template over a prefix const, with a collect callback',
      source: `const p = 'tributary_b';\nr.gauge(\`\${p}_open\`, 'Open now', [], (g) => g.set(view.open()));`,
      metrics: [{ name: 'tributary_b_open', type: 'gauge', help: 'Open now', labels: [] }],
    },
    {
      what: 'a histogram: its third argument is buckets, not labels',
      source: `r.histogram('tributary_c_seconds', 'Time taken', [0.1, 1, 10]);`,
      metrics: [{ name: 'tributary_c_seconds', type: 'histogram', help: 'Time taken', labels: [] }],
    },
    {
      what: 'classCounter: a counter labelled by class',
      source: `const p = 'tributary_d';\nsent: classCounter(r, \`\${p}_sent_total\`, 'Sent, by class'),`,
      metrics: [{ name: 'tributary_d_sent_total', type: 'counter', help: 'Sent, by class', labels: ['class'] }],
    },
    {
      what: 'shared metrics over several lines, comments, escapes and a joined help text',
      source: `const p = 'tributary_e';\nregistry.sharedGauge(\n  \`\${p}_connected\`, // the name\n  'Whether it\\'s open, ' +\n    "by port (1: yes)",\n  ['port'],\n).labels(port);\nregistry.sharedCounter(\`\${p}_x_total\`, \`Xs\`, ['port']);`,
      metrics: [
        { name: 'tributary_e_connected', type: 'gauge', help: "Whether it's open, by port (1: yes)", labels: ['port'] },
        { name: 'tributary_e_x_total', type: 'counter', help: 'Xs', labels: ['port'] },
      ],
    },
    {
      what: 'the classCounter helper itself: declared, and forwarding a name it was given',
      source: `export function classCounter(r: Registry, name: string, help: string) {\n  const counter = r.counter(name, help, ['class']);\n}`,
      metrics: [],
      unread: ['.counter(name'],
    },
    {
      what: 'calls it cannot read are reported, not guessed',
      source: `r.counter(\`\${unknown}_total\`, 'x');\nr.gauge('tributary_f', HELP);\nr.counter('tributary_g_total', 'g', LABELS);`,
      metrics: [],
      unread: ['.counter(`${unknown}_total`', ".gauge('tributary_f'", ".counter('tributary_g_total'"],
    },
    {
      what: 'a function that is not a Registry method is left alone',
      source: `const counter = (n: number) => n + 1;\ncounter(5);\nconst histogram = build();`,
      metrics: [],
    },
  ];
  it.each(cases)('$what', ({ source, metrics, unread }) => {
    const scan = scanSource('x.ts', source);
    expect(scan.metrics.map(({ name, type, help, labels }) => ({ name, type, help, labels }))).toEqual(metrics);
    expect(scan.unread.map((u) => u.call)).toEqual(unread ?? []);
  });

  it('finds every metric the pure metric factories register, with their type, help and labels', () => {
    const registry = new Registry();
    const { lag } = pipelineMetrics(registry);
    lag.disable();
    ingestLogMetrics(registry, () => 0);
    analysisMetrics(registry);
    outboxMetrics(registry, { maxBytes: 1, classStats: () => ({ items: 0, bytes: 0, oldestAt: null }), now: () => 0 });
    uplinkMetrics(registry, { connected: () => false, inFlightBatches: () => 0, inFlightItems: () => 0, tokens: () => 0 });
    brokerMetrics(registry, { connections: () => 0, held: () => 0, unreadBytes: () => 0 });
    serialMetrics(registry, '/dev/ttyX');
    modbusMetrics(registry, '/dev/ttyY');
    ingestMetrics(registry, () => 0);
    const registered = [...registry.render().matchAll(/^# HELP (\S+) /gm)].map((m) => m[1]!);
    expect(registered.length).toBeGreaterThan(80);
    const scanned = new Map(metricCatalogue(ROOT).map((m) => [m.name, m]));
    for (const name of registered) {
      const live = registry.get(name)!;
      expect(scanned.get(name), `${name} is registered but the README generator does not see it`).toMatchObject({ type: live.type, help: live.help, labels: [...live.labelNames] });
    }
  });

  it('sees every tributary_ name the source mentions as a metric (or knows it is not one)', () => {
    const metrics = metricCatalogue(ROOT);
    const names = new Set(metrics.map((m) => m.name));
    for (const m of metrics.filter((x) => x.type === 'histogram')) for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    const unknown = [...mentionedNames(ROOT)].filter(([name]) => !names.has(name) && !NOT_METRICS.includes(name));
    expect(unknown.map(([name, file]) => `${name} (${file})`)).toEqual([]);
  });
});

describe('config keys', () => {
  const Schema = Type.Object({
    section: Type.Object(
      {
        sizeMs: Type.Integer({ minimum: 1, default: 10, description: 'how long' }),
        name: Type.Optional(Type.String({ description: 'a <name> *here*' })),
      },
      { default: {}, description: 'a section' },
    ),
    users: Type.Record(Type.String(), Type.Object({ hash: Type.String() }), { default: {} }),
    ports: Type.Array(Type.Object({ path: Type.String(), rate: Type.Union([Type.Literal(1), Type.Literal(2)], { default: 1 }) }), { default: [] }),
    rules: Type.Array(
      Type.Unsafe({
        oneOf: [
          Type.Object({ type: Type.Literal('above'), name: Type.String(), limit: Type.Number() }, { description: 'over a limit' }),
          Type.Object({ type: Type.Literal('below'), name: Type.String(), limit: Type.Number({ description: 'floor' }) }),
          Type.Object({ type: Type.Literal('quiet'), name: Type.String() }),
        ],
      }),
    ),
  });

  it('walks objects, records, arrays and tagged unions in schema order', () => {
    const rows = configRows(Schema as JsonSchema).map((r) => [r.key, r.type, r.default, r.description]);
    expect(rows).toEqual([
      ['section', 'object', '', 'a section'],
      ['section.sizeMs', 'integer ≥ 1', '`10`', 'how long'],
      ['section.name', 'string', '—', 'a &lt;name> \\*here\\*'],
      ['users', 'map of object', '`{}`', ''],
      ['users.<name>.hash', 'string', 'required', ''],
      ['ports', 'object[]', '`[]`', ''],
      ['ports[].path', 'string', 'required', ''],
      ['ports[].rate', '`1` \\| `2`', '`1`', ''],
      ['rules', 'object[]', 'required', ''],
      ['rules[].type', '`above` \\| `below` \\| `quiet`', 'required', '`above`: over a limit'],
      ['rules[].name', 'string', 'required', ''],
      ['rules[].limit', 'number', 'required', 'type `above`'],
      ['rules[].limit', 'number', 'required', 'type `below`: floor'],
    ]);
  });

  it('lists the keys of every part of an intersection', () => {
    const both = Type.Object({ tls: Type.Intersect([Type.Object({ port: Type.Integer() }), Type.Object({ certFile: Type.String() })], { description: 'TLS' }) });
    expect(configRows(both as JsonSchema).map((r) => [r.key, r.type, r.description])).toEqual([
      ['tls', 'object', 'TLS'],
      ['tls.port', 'integer', ''],
      ['tls.certFile', 'string', ''],
    ]);
  });

  it('keeps only or leaves out top-level keys', () => {
    expect(configRows(Schema as JsonSchema, { only: ['users'] }).map((r) => r.key)).toEqual(['users', 'users.<name>.hash']);
    expect(configRows(Schema as JsonSchema, { except: ['section', 'ports', 'rules'] }).map((r) => r.key)).toEqual(['users', 'users.<name>.hash']);
    expect(() => configRows(Schema as JsonSchema, { only: ['nope'] })).toThrow(/nope/);
  });
});

describe('blocks', () => {
  const doc = 'intro\n<!-- generated:errors -->\nold errors\n<!-- /generated:errors -->\nmiddle\n<!-- generated:topics -->\n<!-- /generated:topics -->\nend\n';

  it('replaces each block between its markers and leaves the rest alone', () => {
    const fresh = new Map([
      ['errors', 'new errors\ntable'],
      ['topics', 'topics'],
    ]);
    expect(replaceBlocks(doc, fresh)).toBe('intro\n<!-- generated:errors -->\n\nnew errors\ntable\n\n<!-- /generated:errors -->\nmiddle\n<!-- generated:topics -->\n\ntopics\n\n<!-- /generated:topics -->\nend\n');
    expect(findBlocks(doc).map((b) => [b.name, b.body])).toEqual([
      ['errors', 'old errors'],
      ['topics', ''],
    ]);
  });

  it.each([
    ['an unknown block', '<!-- generated:nope -->\n<!-- /generated:nope -->', /unknown generated block "nope"/],
    ['an unclosed block', '<!-- generated:errors -->\nx\n', /no closing marker/],
    ['a block twice', '<!-- generated:errors -->\n<!-- /generated:errors -->\n<!-- generated:errors -->\n<!-- /generated:errors -->', /twice/],
    ['a block inside another', '<!-- generated:errors -->\n<!-- generated:topics -->\n<!-- /generated:topics -->\n<!-- /generated:errors -->', /starts inside block "errors"/],
  ])('refuses %s', (_, text, error) => {
    expect(() => findBlocks(text)).toThrow(error);
  });

  it('refuses to write when a block has no markers at all', () => {
    expect(() => replaceBlocks(doc, new Map([['commands', 'x']]))).toThrow(/no markers for <!-- generated:commands -->/);
  });

  it('knows a generator for each block name it accepts', () => {
    for (const name of Object.keys(blocks)) expect(name).toMatch(/^[a-z0-9-]+$/);
  });
});

describe('the other sources', () => {
  it('reads sub-commands from usage lines, not options', () => {
    const help = 'Usage:\n  tributary edge --config <file>   run\n  tributary edge inspect --config <file>\n  tributary edge hash-password\nUsage: tributary edge inspect [x]\n  tributary cloud check-config\n';
    expect(subCommandsIn('edge', help)).toEqual(['inspect', 'hash-password']);
  });

  it('groups every catalogue code under the comment above it', () => {
    const groups = errorGroups(ROOT);
    expect(groups[0]!.heading).toMatch(/^Configuration/);
    expect(groups.every((g) => g.codes.length > 0)).toBe(true);
  });

  it('lists an up topic per class and the down topics, each parsed back by the protocol', () => {
    const topics = topicCatalogue('gw-1');
    for (const c of UPLINK_CLASSES) expect(topics.map((t) => t.topic)).toContain(`tributary/v1/gw-1/up/${c}`);
    for (const t of topics.filter((x) => x.use === 'publish')) {
      expect(parseTopic(t.topic)?.direction).toBe(t.direction === 'gateway → cloud' ? 'up' : 'down');
    }
  });

  it('lists every topic uplinkTopics can make (a new one needs its line in topicCatalogue)', () => {
    const listed = topicCatalogue().map((t) => t.topic);
    // A topic, or a maker taking a gateway id and, for the up topics, a class.
    const made = (make: string | ((gateway: string, cls: UplinkClass) => string)) =>
      typeof make === 'string' ? [make] : make.length === 2 ? UPLINK_CLASSES.map((c) => make('<gateway>', c)) : [make('<gateway>', 'alert')];
    for (const [key, make] of Object.entries(uplinkTopics)) {
      for (const topic of made(make)) expect(listed, `uplinkTopics.${key}`).toContain(topic);
    }
  });

  it('shows a short diff of what changed', () => {
    expect(lineDiff('a\nb\nc\nd\ne\nf\ng', 'a\nb\nc\nD\ne\nf\ng', 1)).toBe('  ...\n  c\n- d\n+ D\n  e\n  ...');
  });
});
