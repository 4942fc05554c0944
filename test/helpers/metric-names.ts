import { execFileSync } from 'node:child_process';
import { createLogger } from '../../src/logging/logger.ts';
import { Histogram } from 'prom-client';
import { createMetrics } from '../../src/metrics/metrics.ts';

/**
 * Every series name jobwatch's /metrics can serve (a histogram's `_bucket`, `_sum` and `_count`),
 * from a registry built as the server and workers build theirs, with every reader given. Nothing
 * is read: the readers are never called, since nothing is scraped.
 */
export function exportedMetricNames(): Set<string> {
  const never = () => Promise.reject(new Error('not scraped'));
  const queue = { name: 'polls', getJobCounts: never };
  const metrics = createMetrics({
    queues: { pollShards: [queue], completions: queue },
    readers: { overduePolls: never, notificationBacklog: never, evictionPolicySafe: never, openCircuits: never },
    logger: createLogger({ logLevel: 'silent' }, { pretty: false }),
  });
  const names = new Set<string>();
  for (const metric of metrics.registry.getMetricsAsArray()) {
    const { name } = metric as unknown as { name: string };
    names.add(name);
    if (metric instanceof Histogram) for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

/** The jobwatch_ metric names a PromQL expression names. */
export function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\bjobwatch_[a-zA-Z0-9_]+/g)].map((match) => match[0]);
}

/** A YAML file as JSON, read by the python3 yaml module (Debian's docker-compose and prometheus bring python3-yaml). */
export function readYaml<T>(path: string): T {
  const json = execFileSync('/usr/bin/python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', path], { encoding: 'utf8' });
  return JSON.parse(json) as T;
}
