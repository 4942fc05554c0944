import type { z } from 'zod';

/** How the sources file's schema words zod's issues: one plain line, with the field named by its path. */

/** A message for a value of the wrong type only, so that a missing or unknown field keeps its own (`describeIssue`). */
export function wrongType(message: string): (issue: z.core.$ZodRawIssue) => string | undefined {
  return (issue) => (issue.code === 'invalid_type' && issue.input !== undefined ? message : undefined);
}

/** zod's issues in the words of the sources file: an unknown field named, a missing one required. */
export function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'unrecognized_keys') return `has no field ${JSON.stringify(issue.keys[0])}; check its spelling`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return undefined;
}
