// The last K values of one stream, kept both in arrival order and sorted, so the rolling median
// and MAD cost O(K) per value with no allocation: the detectors' shared building block.

/** 1 / Φ⁻¹(3/4): scales a MAD to the standard deviation of normally distributed values. */
export const MAD_TO_SIGMA = 1.4826;
/** √(π/2): scales a mean absolute deviation to the standard deviation of normal values. */
export const MEAN_AD_TO_SIGMA = 1.2533;

export class RollingWindow {
  readonly capacity: number;
  /** Values in arrival order, a ring starting at #head. */
  readonly #ring: Float64Array;
  /** The same values, ascending, in [0, size). */
  readonly #sorted: Float64Array;
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!(Number.isSafeInteger(capacity) && capacity >= 1)) throw new TypeError(`a rolling window needs a positive whole capacity, got ${capacity}`);
    this.capacity = capacity;
    this.#ring = new Float64Array(capacity);
    this.#sorted = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  get full(): boolean {
    return this.#size === this.capacity;
  }

  /** Add a finite value; when full, the oldest value leaves and is returned (otherwise undefined). */
  push(value: number): number | undefined {
    let evicted: number | undefined;
    if (this.#size === this.capacity) {
      evicted = this.#ring[this.#head]!;
      this.#ring[this.#head] = value;
      this.#head = (this.#head + 1) % this.capacity;
      this.#removeSorted(evicted);
    } else {
      this.#ring[(this.#head + this.#size) % this.capacity] = value;
    }
    this.#insertSorted(value);
    return evicted;
  }

  /** Median of the values held (NaN when empty). */
  median(): number {
    const n = this.#size;
    if (n === 0) return NaN;
    const s = this.#sorted;
    return n % 2 === 1 ? s[(n - 1) >> 1]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  }

  /**
   * Median absolute deviation around `centre` (the median). The deviations left and right of the
   * centre are each sorted already, so the middle one is found by merging the two runs outwards.
   */
  mad(centre: number): number {
    const n = this.#size;
    if (n === 0) return NaN;
    const s = this.#sorted;
    let right = this.#lowerBound(centre);
    let left = right - 1;
    const k = (n - 1) >> 1; // the k-th smallest deviation (0-based); for even n, the average of k and k + 1
    let previous = 0;
    for (let i = 0; ; i++) {
      const dl = left >= 0 ? centre - s[left]! : Infinity;
      const dr = right < n ? s[right]! - centre : Infinity;
      const d = dl <= dr ? dl : dr;
      if (dl <= dr) left--;
      else right++;
      if (i === k && n % 2 === 1) return d;
      if (i === k + 1) return (previous + d) / 2;
      previous = d;
    }
  }

  /** Mean absolute deviation around `centre`: the fallback spread when more than half the values are equal. */
  meanAbsDeviation(centre: number): number {
    let sum = 0;
    for (let i = 0; i < this.#size; i++) sum += Math.abs(this.#sorted[i]! - centre);
    return this.#size === 0 ? NaN : sum / this.#size;
  }

  /** The values in arrival order, oldest first (for checkpoints). */
  values(): number[] {
    const out = new Array<number>(this.#size);
    for (let i = 0; i < this.#size; i++) out[i] = this.#ring[(this.#head + i) % this.capacity]!;
    return out;
  }

  clear(): void {
    this.#head = 0;
    this.#size = 0;
  }

  #insertSorted(value: number): void {
    const at = this.#lowerBound(value);
    this.#sorted.copyWithin(at + 1, at, this.#size);
    this.#sorted[at] = value;
    this.#size++;
  }

  #removeSorted(value: number): void {
    const at = this.#lowerBound(value);
    this.#sorted.copyWithin(at, at + 1, this.#size);
    this.#size--;
  }

  /** First index in the sorted values holding a value ≥ `value`. */
  #lowerBound(value: number): number {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#sorted[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * A robust standard deviation of the window: 1.4826·MAD, or 1.2533·(mean absolute deviation) when
 * more than half the values are equal (MAD = 0 though the values differ), never below `floor`.
 */
export function robustScale(window: RollingWindow, centre: number, floor: number): number {
  let scale = MAD_TO_SIGMA * window.mad(centre);
  if (scale === 0) scale = MEAN_AD_TO_SIGMA * window.meanAbsDeviation(centre);
  return Math.max(scale, floor);
}
