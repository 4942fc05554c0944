import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import type { MonitorQueues } from '../queue/queues.ts';
import { describeJobName, describePollData, describeResultData } from './board-format.ts';

export interface BoardOptions {
  queues: MonitorQueues;
  /** Where the board is mounted, e.g. `/board`. */
  basePath: string;
  /** JOBWATCH_BOARD_WRITE: allow retry, promote, clean and remove. */
  writable: boolean;
}

const POLLS_DESCRIPTION =
  'One job per running monitor. It waits delayed until its next status check, polls, then re-schedules ' +
  'itself until the job ends or the monitor expires. Its data shows the monitor id, job id, poll count and next poll time.';
const COMPLETIONS_DESCRIPTION =
  "A monitor's final record waits here until it is written to Postgres (table monitor_results); written " +
  'ones are kept an hour. A job that waits or fails here means Postgres is unreachable or refused the row.';

/**
 * Bull Board over the poll queues (one per shard) and the completion queue, read-only unless JOBWATCH_BOARD_WRITE=1. Even when writable it
 * cannot add jobs or edit job data: a monitor enters through POST /api/monitors, which validates it
 * and checks its status URL against the allow-list.
 */
export function createBoard(options: BoardOptions): Hono {
  const readOnlyMode = !options.writable;
  const shards = options.queues.pollShards;
  const polls = shards.map((queue, shard) => {
    const adapter = new BullMQAdapter(queue, {
      readOnlyMode,
      displayName: shards.length === 1 ? 'polls: running monitors' : `polls: running monitors, shard ${shard + 1} of ${shards.length}`,
      description: POLLS_DESCRIPTION,
    });
    adapter.setFormatter('data', describePollData);
    adapter.setFormatter('name', describeJobName);
    return adapter;
  });
  const completions = new BullMQAdapter(options.queues.completions, {
    readOnlyMode, displayName: 'completions: final records', description: COMPLETIONS_DESCRIPTION,
  });
  completions.setFormatter('data', describeResultData);
  completions.setFormatter('name', describeJobName);

  const serverAdapter = new HonoAdapter(serveStatic).setBasePath(options.basePath);
  createBullBoard({
    queues: [...polls, completions],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'jobwatch', jobDetails: { defaultTab: 'Data' } } },
  });

  const board = new Hono();
  const refuse = () => Response.json({ error: 'monitors are started with POST /api/monitors and their data is not editable' }, { status: 405 });
  board.post('/api/queues/:queueName/add', refuse);
  board.on(['PATCH', 'PUT', 'POST'], '/api/queues/:queueName/:jobId/update-data', refuse);
  board.route('/', serverAdapter.registerPlugin());
  return board;
}
