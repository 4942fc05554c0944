import { z } from 'zod';
import type { MonitorPage } from '../client/list-monitors.ts';
import { monitorStateSchema } from '../client/monitor-state.ts';

/**
 * The bodies the HTTP API sends that are not the client's own types. With the monitor input
 * (src/monitor/input.ts) and the monitor states (src/client/monitor-state.ts) they are what the
 * OpenAPI document is generated from, and the handlers' answers are typed by them.
 */

/** Every error answer: one line saying what was wrong; for bad input, which value and why, apart. */
export const errorBodySchema = z.object({
  error: z.string().meta({ description: 'What was wrong and what to do, as one line' }),
  field: z.string().optional().meta({ description: 'The input value that was wrong (400 only), e.g. `interval` or `monitor` for the body as a whole' }),
  reason: z.string().optional().meta({ description: 'What is wrong with `field`, without its name (400 only)' }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** A page of `GET /api/monitors`. */
export const monitorPageSchema = z.object({
  monitors: z.array(monitorStateSchema).meta({ description: 'Running monitors newest-started first, then ended ones newest-finished first' }),
  nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
});
// The client declares MonitorPage itself; this fails to compile if the two ever differ.
const samePage: [MonitorPage, z.infer<typeof monitorPageSchema>] extends [z.infer<typeof monitorPageSchema>, MonitorPage] ? true : false = true;
void samePage;

/** `GET /healthz`: each service `ok` or `down: <reason>`. */
export const healthReportSchema = z.object({
  status: z.enum(['ok', 'down']),
  redis: z.string().meta({ description: '`ok`, or `down: ` and a code or short message' }),
  postgres: z.string().meta({ description: '`ok`, or `down: ` and a code or short message' }),
});
export type HealthReport = z.infer<typeof healthReportSchema>;
