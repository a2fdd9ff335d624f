/** The metric families dealwatch declares (name, type, label names), read from a fresh registry. */
import { createMetrics } from '../../src/server/metrics.js';

export interface Family {
  name: string;
  type: string;
  labels: string[];
}

export function declaredFamilies(): Map<string, Family> {
  const metrics = createMetrics({ processMetrics: false });
  const out = new Map<string, Family>();
  for (const metric of metrics.registry.getMetricsAsArray()) {
    const { name, type, labelNames } = metric as unknown as { name: string; type: string; labelNames: string[] };
    out.set(name, { name, type: String(type), labels: [...labelNames] });
  }
  return out;
}

/** The family a sample name belongs to (`x_bucket`, `x_count`, `x_sum` are histogram `x`'s). */
export function familyOf(sample: string, families: ReadonlyMap<string, Family>): Family | undefined {
  if (families.has(sample)) return families.get(sample);
  const base = sample.replace(/_(bucket|count|sum)$/, '');
  const family = families.get(base);
  return family?.type === 'histogram' ? family : undefined;
}
