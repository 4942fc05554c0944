/** Types of poll-reporter.mjs (plain JavaScript, so that the compiled worker can load it). */
export interface PollReporter {
  /** Called as each poll starts, with the epoch ms it was due. */
  polled(dueAt: number): void;
}

export function createPollReporter(env: Record<string, string | undefined>): PollReporter;

export function sendReport(message: { event: string; [field: string]: unknown }): void;
