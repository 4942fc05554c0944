import { CONVENTION_READERS, type ConventionName } from './conventions/index.ts';
import type { HttpAnswer } from './http-answer.ts';
import { readMapped, type SourceMapping } from './mapping.ts';
import type { SourceReading } from './source-reading.ts';

/** How a source reads its answers: a standard convention, or its own mapping. */
export type SourceReader =
  | { readonly kind: 'convention'; readonly convention: ConventionName }
  | { readonly kind: 'mapping'; readonly mapping: SourceMapping };

/**
 * Reads one answer of a source's service: the one entry point the HTTP provider calls. The
 * reading names the source and what decided it, for the final record and the logs.
 */
export function readSourceAnswer(reader: SourceReader, answer: HttpAnswer, source?: string): SourceReading {
  const named = source === undefined ? {} : { source };
  if (reader.kind === 'convention') {
    return { ...CONVENTION_READERS[reader.convention](answer), decidedBy: { ...named, convention: reader.convention } };
  }
  return { ...readMapped(answer, reader.mapping), decidedBy: { ...named, mapping: reader.mapping.statusPath.text } };
}
