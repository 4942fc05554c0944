import type { HttpAnswer } from '../http-answer.ts';
import type { Reading } from '../source-reading.ts';
import { readAzureArm } from './azure-arm.ts';
import { readAzureOperation } from './azure-operation.ts';
import { readGithubActionsRun } from './github-actions-run.ts';
import { readGoogleOperation } from './google-operation.ts';
import { readHttp202 } from './http-202.ts';
import { readKubernetesJob } from './kubernetes-job.ts';
import { readOpenAiBatch } from './openai-batch.ts';

/** The standard long-running-operation conventions a source may name instead of a mapping. */
export const CONVENTIONS = [
  'http-202', 'azure-operation', 'azure-arm', 'google-operation', 'openai-batch', 'kubernetes-job', 'github-actions-run',
] as const;
export type ConventionName = (typeof CONVENTIONS)[number];

/** Each convention's reader: a pure function of one answer. */
export const CONVENTION_READERS: Readonly<Record<ConventionName, (answer: HttpAnswer) => Reading>> = Object.freeze({
  'http-202': readHttp202,
  'azure-operation': readAzureOperation,
  'azure-arm': readAzureArm,
  'google-operation': readGoogleOperation,
  'openai-batch': readOpenAiBatch,
  'kubernetes-job': readKubernetesJob,
  'github-actions-run': readGithubActionsRun,
});
