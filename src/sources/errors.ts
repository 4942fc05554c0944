import { InvalidInputError } from '../errors/errors.ts';

/**
 * A value for a source's URL placeholder (a declared param, or the job id) that cannot be put in
 * the URL: empty, a dot segment, a slash, or one of those hidden by percent-encoding. It is an
 * input error of the monitor (the HTTP API answers 400), named by its path: `params.owner`, `jobId`.
 */
export class SourceParamError extends InvalidInputError {
  /** The placeholder's name: `owner`, or `jobId`. */
  readonly param: string;

  constructor(param: string, reason: string) {
    super(param === 'jobId' ? ['jobId'] : ['params', param], reason);
    this.param = param;
  }
}
