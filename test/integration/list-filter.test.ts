import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEndedPage } from '../../src/db/ended-page.ts';
import { persistResult } from '../../src/db/results.ts';
import type { MonitorResult } from '../../src/monitor/context.ts';
import { matchesFilter, type Filterable, type ListFilter } from '../../src/monitor/list-filter.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';

// The list filter is decided in JavaScript (running monitors and records in Redis) and in SQL
// (rows in Postgres). Every case here goes through both, and both must give the expected answer.
let iso: Isolated;

const T = Date.parse('2026-05-01T12:00:00.000Z');
const METADATA = { team: 'video', n: 5, half: 0.5, big: 1e21, large: -1.25e22, tiny: 1.5e-7, on: true, nested: { a: 1 }, list: [1], nil: null, '': 'empty key' };
const RESULT: MonitorResult = {
  namespace: 'team-a',
  monitorId: 'render-7', jobId: 'job-7', outcome: 'completed', jobStatus: 'Done', polls: 3,
  startedAt: T - 60_000, finishedAt: T, detail: null, metadata: METADATA,
};
// As the list reads it from Redis: its list time is its finish, as in Postgres.
const MONITOR: Filterable = { namespace: 'team-a', monitorId: RESULT.monitorId, jobId: RESULT.jobId, metadata: METADATA, at: T };
const meta = (key: string, value: string): ListFilter => ({ metadata: { key, value } });

const CASES: [string, ListFilter, boolean][] = [
  ['no field set', {}, true],
  ['monitor id prefix', { idPrefix: 'render' }, true],
  ['job id prefix', { idPrefix: 'job-' }, true],
  ['the whole id', { idPrefix: 'render-7' }, true],
  ['another prefix', { idPrefix: 'x' }, false],
  ['a prefix with LIKE wildcards, taken literally', { idPrefix: 'rend%' }, false],
  ['a prefix with _, taken literally', { idPrefix: 'render_7' }, false],
  ['a prefix in another case', { idPrefix: 'Render' }, false],
  ['a string value', meta('team', 'video'), true],
  ['another string value', meta('team', 'audio'), false],
  ['a string value in another case', meta('team', 'Video'), false],
  ['a number as text', meta('n', '5'), true],
  ['a number written otherwise', meta('n', '5.0'), false],
  ['a fraction', meta('half', '0.5'), true],
  ['a large number, in plain digits', meta('big', '1000000000000000000000'), true],
  ['a large number, as JavaScript writes it', meta('big', '1e+21'), false],
  ['a large negative number with a fraction in its digits', meta('large', '-12500000000000000000000'), true],
  ['a small number, in plain digits', meta('tiny', '0.00000015'), true],
  ['a small number, as JavaScript writes it', meta('tiny', '1.5e-7'), false],
  ['a boolean as text', meta('on', 'true'), true],
  ['an object is never equal', meta('nested', '{"a":1}'), false],
  ['an array is never equal', meta('list', '[1]'), false],
  ['null is never equal', meta('nil', 'null'), false],
  ['a missing key', meta('missing', ''), false],
  ['a key inherited in JavaScript', meta('constructor', 'function Object() { [native code] }'), false],
  ['the empty key', meta('', 'empty key'), true],
  ['from its list time', { from: T }, true],
  ['from after it', { from: T + 1 }, false],
  ['to its list time', { to: T }, true],
  ['to before it', { to: T - 1 }, false],
  ['its namespace', { namespaces: ['team-a'] }, true],
  ['its namespace among others', { namespaces: ['default', 'team-a'] }, true],
  ['another namespace', { namespaces: ['team-b'] }, false],
  ['the default namespace', { namespaces: ['default'] }, false],
  ['no namespace at all', { namespaces: [] }, false],
  ['every field, all passing', { namespaces: ['team-a'], idPrefix: 'job', metadata: { key: 'team', value: 'video' }, from: T - 1, to: T + 1 }, true],
  ['every field, one failing', { idPrefix: 'job', metadata: { key: 'team', value: 'video' }, from: T + 1 }, false],
];

beforeAll(async () => {
  iso = await createIsolation();
  await persistResult(iso.database.db, RESULT);
});

afterAll(async () => {
  await iso?.cleanup();
});

describe('the list filter: one table through JavaScript and SQL', () => {
  it.each(CASES)('%s: %j is %s', async (_name, filter, expected) => {
    expect(matchesFilter(MONITOR, filter), 'in JavaScript').toBe(expected);
    const rows = await readEndedPage(iso.database.db, { outcome: undefined, filter }, undefined, 10);
    expect(rows.map((row) => row.monitorId), 'in SQL').toEqual(expected ? [RESULT.monitorId] : []);
  });
});
