import type { BenchConfig } from '../config.ts';
import type { Table } from './costs.ts';
import { median, settle } from './measure.ts';
import type { BenchServices } from './services.ts';

/** A goal from the issue: the row's figure (or its ratio) must be at least / at most `value`. */
export interface Target {
  on: 'value' | 'ratio';
  op: '>=' | '<=';
  value: number;
}

/** One line of the table. */
export interface Row {
  /** The measurement number, e.g. `2` or `5b`. */
  id: string;
  measurement: string;
  value: number;
  unit: string;
  /** Each timed round's figure, when the value is their median. */
  samples?: number[];
  /** The figure against its baseline in the same run. */
  ratio?: { value: number; of: string };
  /** Each round's figure, and the baseline's in that round when there is one (the ratio pairs them). */
  rounds?: { value: number; baseline?: number }[];
  target?: Target;
  /** Whether the target is met; absent when the row has none. */
  met?: boolean;
  /** What was checked besides speed (rows, idempotency), or why a figure is what it is. */
  note?: string;
}

export interface ScenarioContext {
  config: BenchConfig;
  services: BenchServices;
  /** Figures that later scenarios build on (`ceiling`, `jobwatch`, `offeredRate`, ...), by name. */
  figures: Map<string, number>;
  /** A progress line, on stderr, so that stdout holds the table only. */
  progress(line: string): void;
  /** Tables printed beneath the rows (costs per poll, command by command). */
  tables: Table[];
}

export type Scenario = (context: ScenarioContext) => Promise<Row[]>;

/** A row with its target judged. */
export function row(fields: Omit<Row, 'met'>): Row {
  if (!fields.target) return fields;
  const subject = fields.target.on === 'ratio' ? fields.ratio?.value : fields.value;
  const met = subject !== undefined && Number.isFinite(subject) &&
    (fields.target.op === '>=' ? subject >= fields.target.value : subject <= fields.target.value);
  return { ...fields, met };
}

/** The median of per-round ratios: each round's subject against the baseline measured beside it. */
export function pairedRatio(subject: readonly number[], baseline: readonly number[]): number {
  return median(subject.map((value, index) => value / baseline[index]!));
}

/** Each round's figure beside its baseline's, for `Row.rounds`. */
export function roundPairs(subject: readonly number[], baseline?: readonly number[]): { value: number; baseline?: number }[] {
  return subject.map((value, index) => (baseline ? { value, baseline: baseline[index]! } : { value }));
}

/**
 * `count` timed rounds of the baseline and the subject, settled before each: odd rounds run the
 * baseline first, even ones the subject first, so that a drift in the machine's load (others' work
 * on a shared machine) does not always fall on the same side of a pair. `onRound` hears each
 * round's pair (a progress line).
 */
export async function alternatingRounds(
  count: number, baseline: () => Promise<number>, subject: () => Promise<number>, onRound: (round: number, baseline: number, subject: number) => void,
): Promise<{ baseline: number[]; subject: number[] }> {
  const pairs = { baseline: [] as number[], subject: [] as number[] };
  for (let round = 1; round <= count; round++) {
    const order = round % 2 === 1 ? [baseline, subject] : [subject, baseline];
    const figures: number[] = [];
    for (const measure of order) {
      await settle();
      figures.push(await measure());
    }
    const [base, subj] = round % 2 === 1 ? figures : figures.reverse();
    pairs.baseline.push(base!);
    pairs.subject.push(subj!);
    onRound(round, base!, subj!);
  }
  return pairs;
}
