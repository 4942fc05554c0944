import type { BenchConfig, ScenarioName } from './config.ts';
import { describeMachine, loadAverage } from './harness/machine.ts';
import { nowMs } from './harness/measure.ts';
import type { Table } from './harness/costs.ts';
import type { BenchReport } from './harness/report.ts';
import type { Row, Scenario, ScenarioContext } from './harness/scenario.ts';
import { BenchServices } from './harness/services.ts';
import { batchScenario } from './scenarios/batch.ts';
import { batchIdsScenario } from './scenarios/batch-ids.ts';
import { enqueueScenario } from './scenarios/enqueue.ts';
import { historyScenario } from './scenarios/history.ts';
import { httpScenario } from './scenarios/http.ts';
import { latenessScenario } from './scenarios/lateness.ts';
import { limitsScenario } from './scenarios/limits.ts';
import { memoryScenario } from './scenarios/memory.ts';
import { operationsScenario } from './scenarios/operations.ts';
import { overviewScenario } from './scenarios/overview.ts';
import { persistenceScenario } from './scenarios/persistence.ts';
import { pgBossScenario } from './scenarios/pg-boss.ts';
import { pushScenario } from './scenarios/push.ts';
import { sourcesScenario } from './scenarios/sources.ts';
import { startupScenario } from './scenarios/startup.ts';
import { throughputScenario } from './scenarios/throughput.ts';
import { tracingScenario } from './scenarios/tracing.ts';

const SCENARIO_RUNNERS: Record<ScenarioName, Scenario> = {
  throughput: throughputScenario,
  tracing: tracingScenario,
  http: httpScenario,
  sources: sourcesScenario,
  lateness: latenessScenario,
  'pg-boss': pgBossScenario,
  memory: memoryScenario,
  enqueue: enqueueScenario,
  persistence: persistenceScenario,
  startup: startupScenario,
  push: pushScenario,
  history: historyScenario,
  limits: limitsScenario,
  batch: batchScenario,
  'batch-ids': batchIdsScenario,
  overview: overviewScenario,
  operations: operationsScenario,
};

/**
 * Runs the selected scenarios in order, each against its baseline in the same run. A scenario
 * that fails is reported and the others still run; everything the run created is removed.
 */
export async function runBench(config: BenchConfig, progress: (line: string) => void = () => {}): Promise<BenchReport> {
  const startedAt = new Date();
  const started = nowMs();
  const services = await BenchServices.open(config);
  const rows: Row[] = [];
  const tables: Table[] = [];
  const errors: BenchReport['errors'] = [];
  try {
    const machine = await describeMachine(services);
    const context: ScenarioContext = { config: services.config, services, figures: new Map(), progress, tables };
    for (const name of config.only) {
      progress(`scenario ${name}`);
      try {
        rows.push(...(await SCENARIO_RUNNERS[name](context)));
      } catch (error) {
        errors.push({ scenario: name, message: (error as Error).stack ?? String(error) });
        progress(`scenario ${name} failed: ${(error as Error).message}`);
      }
    }
    machine.loadAverage.end = loadAverage();
    return {
      runId: services.runId, startedAt: startedAt.toISOString(), durationSeconds: (nowMs() - started) / 1000, machine, config: services.config, rows, tables, errors,
    };
  } finally {
    await services.close();
  }
}
