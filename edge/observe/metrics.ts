// A small Prometheus registry: counters, gauges and histograms rendered in the text exposition
// format (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// Hot paths hold a pre-resolved child (`counter.labels('not-json')`) and bump a number, so
// counting costs no allocation or label hashing per reading.

export interface CounterChild {
  inc(by?: number): void;
  readonly value: number;
}

type Labels = readonly string[];

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: Labels,
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new TypeError(`bad metric name ${name}`);
  }
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  abstract render(out: string[]): void;
  protected labelText(values: Labels, extra?: string): string {
    const parts = values.map((v, i) => `${this.labelNames[i]}="${escapeLabel(v)}"`);
    if (extra) parts.push(extra);
    return parts.length ? `{${parts.join(',')}}` : '';
  }
}

class CounterValue implements CounterChild {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class Counter extends Metric {
  readonly type = 'counter';
  readonly #children = new Map<string, { labels: Labels; child: CounterValue }>();

  /** The child for these label values (create once, keep it on the hot path). */
  labels(...values: string[]): CounterChild {
    if (values.length !== this.labelNames.length) {
      throw new TypeError(`${this.name} takes labels (${this.labelNames.join(', ')}), got ${values.length} values`);
    }
    const key = values.join('\u0000');
    let entry = this.#children.get(key);
    if (!entry) {
      entry = { labels: values, child: new CounterValue() };
      this.#children.set(key, entry);
    }
    return entry.child;
  }

  inc(by = 1): void {
    this.labels().inc(by);
  }

  /** Current value for these label values (0 when never incremented). */
  get(...values: string[]): number {
    return this.#children.get(values.join('\u0000'))?.child.value ?? 0;
  }

  /** Every child with its label values. */
  entries(): Array<{ labels: Labels; value: number }> {
    return [...this.#children.values()].map(({ labels, child }) => ({ labels, value: child.value }));
  }

  render(out: string[]): void {
    for (const { labels, child } of this.#children.values()) out.push(`${this.name}${this.labelText(labels)} ${child.value}`);
  }
}

export class Gauge extends Metric {
  readonly type = 'gauge';
  readonly #values = new Map<string, { labels: Labels; value: number }>();

  constructor(name: string, help: string, labelNames: Labels, private readonly collect?: (g: Gauge) => void) {
    super(name, help, labelNames);
  }

  set(value: number, ...labels: string[]): void {
    this.#values.set(labels.join('\u0000'), { labels, value });
  }

  get(...labels: string[]): number | undefined {
    this.collect?.(this);
    return this.#values.get(labels.join('\u0000'))?.value;
  }

  render(out: string[]): void {
    this.collect?.(this);
    for (const { labels, value } of this.#values.values()) out.push(`${this.name}${this.labelText(labels)} ${value}`);
  }
}

export class Histogram extends Metric {
  readonly type = 'histogram';
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  /** @param buckets upper bounds, ascending, in the metric's unit (seconds for `_seconds`). */
  constructor(name: string, help: string, readonly buckets: readonly number[]) {
    super(name, help, []);
    this.#counts = new Array<number>(buckets.length).fill(0);
  }

  observe(v: number): void {
    this.#sum += v;
    this.#count++;
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.#counts[i]!++;
        return;
      }
    }
  }

  get count(): number {
    return this.#count;
  }

  render(out: string[]): void {
    let cumulative = 0;
    this.buckets.forEach((le, i) => {
      cumulative += this.#counts[i]!;
      out.push(`${this.name}_bucket{le="${le}"} ${cumulative}`);
    });
    out.push(`${this.name}_bucket{le="+Inf"} ${this.#count}`);
    out.push(`${this.name}_sum ${this.#sum}`);
    out.push(`${this.name}_count ${this.#count}`);
  }
}

export class Registry {
  readonly #metrics = new Map<string, Metric>();
  readonly #beforeRender: Array<() => void> = [];

  /** Run `hook` before every render, e.g. to copy a component's own counters into metrics. */
  onRender(hook: () => void): void {
    this.#beforeRender.push(hook);
  }

  counter(name: string, help: string, labelNames: Labels = []): Counter {
    return this.#add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: Labels = [], collect?: (g: Gauge) => void): Gauge {
    return this.#add(new Gauge(name, help, labelNames, collect));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, buckets));
  }

  /**
   * The counter `name`, registered on first use. For metrics several instances deliberately
   * share (one series per serial port, say); counter() alone refuses a second registration.
   */
  sharedCounter(name: string, help: string, labelNames: Labels = []): Counter {
    return this.#shared(name, labelNames, Counter) ?? this.counter(name, help, labelNames);
  }

  /** The gauge `name`, registered on first use (see sharedCounter). */
  sharedGauge(name: string, help: string, labelNames: Labels = []): Gauge {
    return this.#shared(name, labelNames, Gauge) ?? this.gauge(name, help, labelNames);
  }

  #shared<M extends Metric>(name: string, labelNames: Labels, kind: abstract new (...args: never[]) => M): M | undefined {
    const existing = this.#metrics.get(name);
    if (existing === undefined) return undefined;
    if (existing instanceof kind && existing.labelNames.length === labelNames.length && existing.labelNames.every((l, i) => l === labelNames[i])) return existing;
    throw new TypeError(`metric ${name} is already registered as a ${existing.type} with labels (${existing.labelNames.join(', ')})`);
  }

  get(name: string): Metric | undefined {
    return this.#metrics.get(name);
  }

  /** The whole registry in Prometheus text format. */
  render(): string {
    for (const hook of this.#beforeRender) hook();
    const out: string[] = [];
    for (const m of this.#metrics.values()) {
      out.push(`# HELP ${m.name} ${m.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      out.push(`# TYPE ${m.name} ${m.type}`);
      m.render(out);
    }
    return out.join('\n') + '\n';
  }

  #add<M extends Metric>(metric: M): M {
    if (this.#metrics.has(metric.name)) throw new TypeError(`metric ${metric.name} is registered twice`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
