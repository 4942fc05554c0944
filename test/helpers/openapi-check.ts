import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { request, type HttpReply } from './http.ts';

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type Operation = {
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
};
export type OpenApiDocument = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, unknown> } };

/** What one checked exchange was: which documented operation, which answer, whether the request fit the document. */
export interface CheckedReply extends HttpReply {
  operation: string;
  /** Whether the JSON body (or the query) sent fits the document (undefined when neither was sent, or the body was not JSON). */
  requestValid: boolean | undefined;
}

const DOCUMENT_ID = 'jobwatch-openapi';

/**
 * Checks real HTTP exchanges against a served OpenAPI 3.1 document with a JSON Schema (2020-12)
 * validator: the route and method are documented, the query parameters fit their schemas, and the
 * answer's status is documented and its JSON body fits that answer's schema. The request body is
 * checked too, and reported rather than asserted, so that a test of bad input can show that the
 * document refuses it as well.
 */
export class OpenApiChecker {
  private readonly ajv: Ajv2020;
  /** Query parameters arrive as text: this one coerces `"2"` to 2 before checking an integer. */
  private readonly parameterAjv: Ajv2020;
  /** `METHOD /path/template STATUS` of every exchange checked, for coverage. */
  readonly seen = new Set<string>();

  constructor(private readonly document: OpenApiDocument) {
    // strict: false, because the document's root holds OpenAPI keys (openapi, paths) that are not JSON Schema.
    this.ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
    this.ajv.addSchema(document, DOCUMENT_ID);
    this.parameterAjv = addFormats(new Ajv2020({ strict: false, coerceTypes: true }));
  }

  /** Every `METHOD /path` the document describes. */
  operations(): string[] {
    return Object.entries(this.document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
  }

  async call(baseUrl: string, method: string, pathAndQuery: string, options: { body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<CheckedReply> {
    const url = new URL(pathAndQuery, baseUrl);
    const template = this.templateOf(url.pathname);
    const operation = this.document.paths[template]?.[method.toLowerCase()];
    if (!operation) throw new Error(`${method} ${template} is not in the document`);
    const name = `${method} ${template}`;
    this.checkQueryDocumented(name, operation, url.searchParams);
    const requestValid = options.body !== undefined
      ? this.checkRequestBody(template, method, operation, options.body)
      : [...url.searchParams].length > 0 ? this.queryFits(operation, url.searchParams) : undefined;

    const reply = await request(url.href, { method, ...options });
    this.checkReply(method, url.pathname, reply);
    return { ...reply, operation: name, requestValid };
  }

  /** Whether the document describes `method` on `pathname`. */
  documents(method: string, pathname: string): boolean {
    const template = this.findTemplate(pathname);
    return template !== undefined && this.document.paths[template]?.[method.toLowerCase()] !== undefined;
  }

  /** Throws unless the answer's status is documented for the operation and its JSON body fits that answer's schema. */
  checkReply(method: string, pathname: string, reply: HttpReply): void {
    const template = this.templateOf(pathname);
    const operation = this.document.paths[template]?.[method.toLowerCase()];
    if (!operation) throw new Error(`${method} ${template} is not in the document`);
    const name = `${method} ${template}`;
    const status = String(reply.status);
    if (!(status in operation.responses)) throw new Error(`${name} answered ${status}, which the document does not list: ${reply.text}`);
    this.seen.add(`${name} ${status}`);
    const validate = this.schemaAt(['paths', template, method.toLowerCase(), 'responses', status, 'content', 'application/json', 'schema']);
    if (!reply.headers.get('content-type')?.startsWith('application/json')) throw new Error(`${name} ${status} is not JSON: ${reply.text}`);
    if (validate && !validate(reply.json)) {
      throw new Error(`${name} ${status} does not fit the document: ${describe(validate.errors)}\n${reply.text}`);
    }
  }

  /** The document itself, for a fuzzer that generates requests from it. */
  get served(): OpenApiDocument {
    return this.document;
  }

  private templateOf(pathname: string): string {
    const template = this.findTemplate(pathname);
    if (template === undefined) throw new Error(`no documented path matches ${pathname}`);
    return template;
  }

  private findTemplate(pathname: string): string | undefined {
    return Object.keys(this.document.paths).find((template) =>
      new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathname));
  }

  private checkQueryDocumented(name: string, operation: Operation, query: URLSearchParams): void {
    for (const key of query.keys()) {
      const index = (operation.parameters ?? []).findIndex((parameter) => parameter.in === 'query' && parameter.name === key);
      if (index === -1) throw new Error(`${name}: query parameter ${key} is not documented`);
    }
  }

  /** Whether each query parameter's value fits its schema (values coerced from text, as a server would). */
  private queryFits(operation: Operation, query: URLSearchParams): boolean {
    const parameters = operation.parameters ?? [];
    return [...query].every(([key, value]) => {
      const parameter = parameters.find((candidate) => candidate.in === 'query' && candidate.name === key) as { schema?: object } | undefined;
      // Wrapped in an object: Ajv coerces a value in place, which a bare string at the root is not.
      const schema = { type: 'object', properties: { value: parameter?.schema ?? {} } };
      return parameter?.schema !== undefined && this.parameterAjv.validate(schema, { value }) === true;
    });
  }

  private checkRequestBody(template: string, method: string, operation: Operation, body: unknown): boolean | undefined {
    if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) return undefined;
    if (!operation.requestBody) throw new Error(`${method} ${template} takes no body`);
    const validate = this.schemaAt(['paths', template, method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema']);
    return validate!(body) === true;
  }

  private schemaAt(path: string[]): ValidateFunction | undefined {
    const pointer = path.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
    return this.ajv.getSchema(`${DOCUMENT_ID}#/${pointer}`);
  }
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((error) => `${error.instancePath || '(root)'} ${error.message} ${JSON.stringify(error.params)}`).join('; ');
}
