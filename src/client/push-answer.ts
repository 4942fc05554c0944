import { z } from 'zod';
import { endedMonitorStateSchema, runningMonitorStateSchema } from './monitor-state.ts';

const accepted = z.boolean().meta({
  description: 'True when this push decided the end (or, for a running status, was recorded); false when the monitor had already ended and is unchanged',
});

/**
 * What a push answers: the monitor's state after it, with `accepted`; or, for a monitor id that has
 * not started yet, that the status is kept for it (HTTP 202).
 */
export const pushAnswerSchema = z.discriminatedUnion('state', [
  runningMonitorStateSchema.extend({ accepted }),
  endedMonitorStateSchema.extend({ accepted }),
  z.object({
    namespace: z.string(),
    monitorId: z.string(),
    state: z.literal('not-started').meta({ description: 'No monitor has this id yet: the status is kept for it' }),
    accepted: z.literal(true),
    status: z.string(),
    keptUntil: z.iso.datetime().meta({ description: 'When the kept status is dropped if no monitor with this id has started (JOBWATCH_EARLY_STATUS_TTL)' }),
  }),
]);
export type PushAnswer = z.infer<typeof pushAnswerSchema>;
