/**
 * The live view's rolling window: bin counts of the last `windowMs`, kept as per-slice
 * deltas and a running sum (the same scheme as services/realtime/status.py), so old
 * reports leave the window without any of them being kept.
 */
import { type Metric, quantileBin, binValue } from './metrics';

export const WINDOW_MS = 5 * 60_000;
export const SLICE_MS = 10_000;

export class RollingHistogram {
  readonly totals = new Map<number, number>();
  private slices: { at: number; deltas: Map<number, number> }[] = [];

  constructor(
    readonly windowMs = WINDOW_MS,
    readonly sliceMs = SLICE_MS,
  ) {}

  add(deltas: Iterable<[number, number]>, now: number): void {
    this.expire(now);
    const last = this.slices[this.slices.length - 1];
    if (last == null || now - last.at >= this.sliceMs) this.slices.push({ at: now, deltas: new Map() });
    const current = this.slices[this.slices.length - 1]!.deltas;
    for (const [bin, delta] of deltas) {
      current.set(bin, (current.get(bin) ?? 0) + delta);
      this.shift(bin, delta);
    }
  }

  samples(now: number): number {
    this.expire(now);
    let n = 0;
    for (const count of this.totals.values()) n += count;
    return n;
  }

  quantile(metric: Metric, q: number, now: number): number | null {
    this.expire(now);
    const bin = quantileBin(this.totals, q);
    return bin == null ? null : binValue(metric, bin);
  }

  clear(): void {
    this.totals.clear();
    this.slices = [];
  }

  private expire(now: number): void {
    while (this.slices.length && now - this.slices[0]!.at >= this.windowMs) {
      for (const [bin, delta] of this.slices.shift()!.deltas) this.shift(bin, -delta);
    }
  }

  private shift(bin: number, delta: number): void {
    const total = (this.totals.get(bin) ?? 0) + delta;
    // A replacement can remove a report whose addition already left the window.
    if (total > 0) this.totals.set(bin, total);
    else this.totals.delete(bin);
  }
}

/** A `vitals` event's bins for one metric: JSON object keys are strings ("-32768", "712"). */
export function parseBinDeltas(raw: unknown): [number, number][] {
  if (raw == null || typeof raw != 'object') return [];
  const deltas: [number, number][] = [];
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const bin = Number(key);
    if (Number.isInteger(bin) && typeof value == 'number' && Number.isFinite(value)) deltas.push([bin, value]);
  }
  return deltas;
}
