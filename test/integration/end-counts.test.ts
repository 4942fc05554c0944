import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countEndsByOutcome } from '../../src/db/end-counts.ts';
import { persistResult } from '../../src/db/results.ts';
import type { MonitorResult } from '../../src/monitor/context.ts';
import { noEnds } from '../../src/monitor/statuses.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';

// One query counts ends by outcome for `jobwatch top` (one open window) and the overview (hour,
// day and week up to now): each window must count its own rows only.
let iso: Isolated;

const HOUR = 3_600_000;
const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const result = (monitorId: string, outcome: MonitorResult['outcome'], finishedAt: number): MonitorResult => ({
  monitorId, jobId: `job-${monitorId}`, outcome, jobStatus: null, polls: 1, startedAt: finishedAt - 1_000, finishedAt, detail: null, metadata: null,
});
const ROWS = [
  result('a-now', 'completed', NOW), // the windows' end is in them
  result('b-half-hour', 'completed', NOW - HOUR / 2),
  result('c-hour', 'failed', NOW - HOUR), // a window's start is in it
  result('d-two-hours', 'failed', NOW - 2 * HOUR),
  result('e-three-days', 'expired', NOW - 72 * HOUR),
  result('f-eight-days', 'canceled', NOW - 192 * HOUR),
  result('g-later', 'errored', NOW + 1), // after `until`
];

beforeAll(async () => {
  iso = await createIsolation();
  for (const row of ROWS) await persistResult(iso.database.db, row);
});

afterAll(async () => {
  await iso?.cleanup();
});

describe('countEndsByOutcome', () => {
  it('counts each window from its start to until, every outcome present', async () => {
    const since = { hour: new Date(NOW - HOUR), day: new Date(NOW - 24 * HOUR), week: new Date(NOW - 168 * HOUR) };
    expect(await countEndsByOutcome(iso.database.db, since, new Date(NOW))).toEqual({
      hour: { ...noEnds(), completed: 2, failed: 1 },
      day: { ...noEnds(), completed: 2, failed: 2 },
      week: { ...noEnds(), completed: 2, failed: 2, expired: 1 },
    });
  });

  it('without until, counts what finished later too', async () => {
    expect(await countEndsByOutcome(iso.database.db, { since: new Date(NOW - HOUR / 2) })).toEqual({
      since: { ...noEnds(), completed: 2, errored: 1 },
    });
  });

  it('gives zeros for a window with no ends', async () => {
    expect(await countEndsByOutcome(iso.database.db, { since: new Date(NOW + HOUR) })).toEqual({ since: noEnds() });
  });
});
