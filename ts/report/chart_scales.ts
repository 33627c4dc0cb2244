/**
 * Axis scales: where a value lands in pixels, and which values get a labelled tick. Linear
 * ticks are "nice" (1, 2 or 5 times a power of ten, as d3 chooses them) and widen the domain to
 * whole steps; logarithmic ticks are powers of ten, with 2 and 5 between them over short spans.
 */

/** A value's pixel position along one axis. */
export type Position = (value: number) => number;

export interface Tick {
  value: number;
  label: string;
}

export interface LinearAxisScale {
  /** The data's range widened to whole tick steps. */
  domain: [number, number];
  ticks: Tick[];
}

export function linearPosition(domain: readonly [number, number], range: readonly [number, number]): Position {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  return (value) => r0 + (value - d0) / (d1 - d0) * (r1 - r0);
}

/** Positions proportional to log(value); the base does not matter. Values must be positive. */
export function logPosition(domain: readonly [number, number], range: readonly [number, number]): Position {
  const linear = linearPosition([Math.log(domain[0]), Math.log(domain[1])], range);
  return (value) => linear(Math.log(value));
}

/** 1, 2 or 5 times a power of ten near span / count, as d3's tickIncrement picks it. */
export function niceStep(span: number, count: number): number {
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const factor = normalized >= Math.sqrt(50) ? 10 : normalized >= Math.sqrt(10) ? 5 : normalized >= Math.SQRT2 ? 2 : 1;
  return factor * magnitude;
}

/**
 * About `count` nice ticks covering [min, max], and the domain widened to the outer ticks. A
 * single value (min = max) gets a domain around it, so that it is drawn mid-axis.
 */
export function linearTicks(min: number, max: number, count = 5): LinearAxisScale {
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const step = niceStep(max - min, count);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: Tick[] = [];
  for (let k = first; k <= last; ++k) {
    // Rounded to the step's decimals so that 3 × 0.1 is 0.3, not 0.30000000000000004.
    const value = Number((k * step).toFixed(decimals));
    ticks.push({ value, label: formatTickValue(value, decimals) });
  }
  return { domain: [ticks[0]!.value, ticks[ticks.length - 1]!.value], ticks };
}

/**
 * Powers of ten within [min, max] (min > 0); over at most two decades also 2 and 5 times them,
 * and over more than eight decades only every second (third, …) power, so labels do not crowd.
 */
export function logTicks(min: number, max: number): Tick[] {
  const decades = Math.log10(max / min);
  const multiples = decades <= 2 ? [1, 2, 5] : [1];
  const exponentStep = Math.max(1, Math.ceil(decades / 8));
  const ticks: Tick[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); ++e) {
    if (e % exponentStep !== 0) continue;
    for (const m of multiples) {
      const value = Number((m * 10 ** e).toPrecision(12));
      if (value >= min * (1 - 1e-9) && value <= max * (1 + 1e-9)) {
        ticks.push({ value, label: formatTickValue(value, Math.max(0, -e)) });
      }
    }
  }
  return ticks;
}

/** "1,000", "0.25": grouped thousands and a fixed number of decimals. */
function formatTickValue(value: number, decimals: number): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}
