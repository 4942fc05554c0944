import type { Scope } from '../access/principal.ts';

/**
 * What each route needs, in one table: the one place to look, applied by one middleware
 * (auth.ts), and checked against the OpenAPI document by test/unit/route-access.test.ts.
 * - a scope: a key that has it (or `admin`);
 * - `authenticated`: any key, whatever its scopes;
 * - `public`: no key at all.
 * A request in a protected area (below) that no rule matches is authenticated, then answered 404
 * without reaching a handler: a route added without its rule is unreachable, not open.
 */
export type Access = Scope | 'authenticated' | 'public';

export interface RouteRule {
  /** An HTTP method, or `*` for any. HEAD is looked up as GET (Hono answers HEAD with the GET route). */
  readonly method: string;
  /** Hono's syntax: `:name` is one path segment, a trailing `/*` the path itself and anything below it. */
  readonly path: string;
  readonly access: Access;
}

/** First match wins. */
export const ROUTE_ACCESS: readonly RouteRule[] = [
  { method: 'GET', path: '/healthz', access: 'public' },
  // A callback URL carries its own credential, an HMAC of the monitor id in the path.
  { method: 'POST', path: '/callbacks/:id/:token', access: 'public' },
  { method: 'POST', path: '/callbacks/:namespace/:id/:token', access: 'public' },
  // As before keys: the document needs a credential, but says nothing a key's scope guards.
  { method: 'GET', path: '/api/openapi.json', access: 'authenticated' },
  { method: 'POST', path: '/api/monitors', access: 'start' },
  { method: 'GET', path: '/api/monitors', access: 'read' },
  { method: 'POST', path: '/api/operations', access: 'start' },
  { method: 'GET', path: '/api/monitors/:id', access: 'read' },
  { method: 'DELETE', path: '/api/monitors/:id', access: 'cancel' },
  { method: 'GET', path: '/api/monitors/:id/checks', access: 'read' },
  { method: 'POST', path: '/api/monitors/:id/status', access: 'push' },
  { method: 'GET', path: '/api/sources', access: 'read' },
  { method: 'GET', path: '/api/quotas', access: 'read' },
  // A try makes a real request to a job service with the source's credentials, as starting a monitor would.
  { method: 'POST', path: '/api/sources/:name/try', access: 'start' },
  // Metrics are deployment-wide (every namespace's counts) until they are filtered by namespace.
  { method: 'GET', path: '/metrics', access: 'admin' },
  { method: 'POST', path: '/ui/monitors/:id/cancel', access: 'cancel' },
  // The monitors page's views, its assets, and its own 404 page for anything else under /ui.
  { method: '*', path: '/ui/*', access: 'read' },
  // The board shows every namespace's jobs and cannot filter them.
  { method: '*', path: '/board/*', access: 'admin' },
];

/** Where every request needs credentials, a rule or not. Elsewhere, a path no rule names is not a route (404). */
export const PROTECTED_AREAS: readonly string[] = ['/api', '/metrics', '/ui', '/board'];

/** The pages a browser opens, which take the key as a basic-auth password; everything else takes a bearer key. */
const PAGE_AREAS: readonly string[] = ['/ui', '/board'];

const compiled = ROUTE_ACCESS.map((rule) => ({ rule, pattern: compile(rule.path) }));

/** The rule of a request, or undefined when none matches. */
export function ruleFor(method: string, path: string): RouteRule | undefined {
  const asked = method === 'HEAD' ? 'GET' : method;
  return compiled.find(({ rule, pattern }) => (rule.method === '*' || rule.method === asked) && pattern.test(path))?.rule;
}

export function inProtectedArea(path: string): boolean {
  return PROTECTED_AREAS.some((area) => isUnder(path, area));
}

/** How a request's key is sent: as a basic-auth password for the pages, as a bearer token elsewhere. */
export function credentialOf(path: string): 'basic' | 'bearer' {
  return PAGE_AREAS.some((area) => isUnder(path, area)) ? 'basic' : 'bearer';
}

function isUnder(path: string, area: string): boolean {
  return path === area || path.startsWith(`${area}/`);
}

/** A rule's path as a regular expression; a trailing slash is allowed, as the app is not strict about it. */
function compile(path: string): RegExp {
  const wildcard = path.endsWith('/*');
  const segments = (wildcard ? path.slice(0, -2) : path).split('/').map((segment) =>
    segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${segments.join('/')}${wildcard ? '(?:/.*)?' : '/?'}$`);
}
