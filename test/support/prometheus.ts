import { createRequire } from 'node:module';

/** One metric family as parse-prometheus-text-format returns it. */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }[];
}

const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => MetricFamily[];

/** Parses Prometheus text exposition with a real, independent parser. */
export function parsePrometheus(text: string): Map<string, MetricFamily> {
  return new Map(parse(text).map((family) => [family.name, family]));
}

/** The value of the sample in `family` whose labels include `labels` (0 when absent). */
export function sampleValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (!sample) return 0;
  // This parser keeps a histogram's buckets but not its _count; the +Inf bucket is the count.
  return Number(family!.type === 'HISTOGRAM' ? (sample.count ?? sample.buckets?.['+Inf']) : sample.value);
}

/** Fetches and parses a program's /metrics. */
export async function scrape(port: number, token?: string): Promise<Map<string, MetricFamily>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parsePrometheus(await res.text());
}
