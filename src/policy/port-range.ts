/** An inclusive range of TCP ports; a single port has `first === last`. */
export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** How a port or port range may be written: `443`, `"443"`, `"8000-8100"` or a {@link PortRange}. */
export type PortSpec = number | string | PortRange;

/** Lowest and highest TCP port a connection can target. */
export const MIN_PORT = 1;
export const MAX_PORT = 65535;

const SINGLE = /^\d{1,5}$/;
const RANGE = /^(\d{1,5})-(\d{1,5})$/;

/** True for an integer from 1 to 65535. */
export function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= MIN_PORT && (value as number) <= MAX_PORT;
}

/** Parses one port or range; `undefined` when it is not one (out of range, reversed, not a number). */
export function parsePortSpec(spec: PortSpec): PortRange | undefined {
  if (typeof spec === 'number') return isPort(spec) ? { first: spec, last: spec } : undefined;
  if (typeof spec === 'object') return isPort(spec.first) && isPort(spec.last) && spec.first <= spec.last ? { first: spec.first, last: spec.last } : undefined;
  if (SINGLE.test(spec)) return parsePortSpec(Number(spec));
  const m = RANGE.exec(spec);
  if (m === null) return undefined;
  return parsePortSpec({ first: Number(m[1]), last: Number(m[2]) });
}

/** Sorts ranges and merges the ones that overlap or touch. */
export function mergePortRanges(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.first - b.first || a.last - b.last);
  const out: PortRange[] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev !== undefined && r.first <= prev.last + 1) {
      out[out.length - 1] = { first: prev.first, last: Math.max(prev.last, r.last) };
    } else {
      out.push({ first: r.first, last: r.last });
    }
  }
  return out;
}

/** True when `port` lies in one of `ranges`. */
export function portInRanges(ranges: readonly PortRange[], port: number): boolean {
  return ranges.some((r) => port >= r.first && port <= r.last);
}

/** `443` or `8000-8100`. */
export function formatPortRange(range: PortRange): string {
  return range.first === range.last ? String(range.first) : `${range.first}-${range.last}`;
}
