import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/http/openapi.ts';
import { credentialOf, inProtectedArea, ROUTE_ACCESS, ruleFor } from '../../src/http/route-access.ts';
import { BOARD_PATH } from '../../src/http/server.ts';
import { UI_PATH } from '../../src/http/ui/layout.ts';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every path and method of the OpenAPI document, with a sample path (`{id}` filled in). */
function documentedRoutes(): { method: string; template: string; sample: string }[] {
  const paths = openApiDocument().paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths).flatMap(([template, operations]) => Object.keys(operations).filter((key) => METHODS.includes(key)).map((method) => ({
    method: method.toUpperCase(), template, sample: template.replace(/\{[^}]+\}/g, 'x-1'),
  })));
}

describe('the route access table', () => {
  it('has a rule of its own for every path and method of the OpenAPI document (a scope, or explicitly public or authenticated)', () => {
    const routes = documentedRoutes();
    expect(routes.length).toBeGreaterThan(8);
    for (const { method, template, sample } of routes) {
      const rule = ruleFor(method, sample);
      expect(rule, `${method} ${template}`).toBeDefined();
      // Its own rule, not a wildcard that happens to cover it.
      expect(rule!.path, `${method} ${template}`).toBe(template.replace(/\{([^}]+)\}/g, ':$1'));
    }
  });

  it('answers the scopes of issue 19', () => {
    expect(ROUTE_ACCESS.map(({ method, path, access }) => `${method} ${path} ${access}`)).toEqual([
      'GET /healthz public',
      'POST /callbacks/:id/:token public',
      'POST /callbacks/:namespace/:id/:token public',
      'GET /api/openapi.json authenticated',
      'POST /api/monitors start',
      'GET /api/monitors read',
      'POST /api/operations start',
      'GET /api/monitors/:id read',
      'DELETE /api/monitors/:id cancel',
      'GET /api/monitors/:id/checks read',
      'POST /api/monitors/:id/status push',
      'GET /api/sources read',
      'GET /api/quotas read',
      'POST /api/sources/:name/try start',
      'GET /metrics admin',
      'POST /ui/monitors/:id/cancel cancel',
      '* /ui/* read',
      '* /board/* admin',
    ]);
  });

  it.each([
    ['GET', '/api/monitors/', 'read'], ['HEAD', '/api/monitors/a%2Fb', 'read'], ['GET', '/api/monitors/a%2Fb/checks', 'read'],
    ['DELETE', '/api/monitors/a', 'cancel'], ['POST', '/api/monitors/a/status', 'push'], ['GET', '/ui', 'read'], ['GET', '/ui/', 'read'],
    ['GET', '/ui/monitors/a', 'read'], ['POST', '/ui/monitors/a/cancel', 'cancel'], ['GET', '/board', 'admin'], ['PUT', '/board/api/queues/polls/pause', 'admin'],
  ])('%s %s needs %s', (method, path, access) => {
    expect(ruleFor(method, path)?.access).toBe(access);
  });

  it('leaves what it does not know to a 404 after authentication in the protected areas, and to the router elsewhere', () => {
    for (const [method, path] of [['PUT', '/api/monitors/a'], ['GET', '/api/monitors/a/b/c'], ['GET', '/api/nothing'], ['POST', '/metrics'], ['GET', '/apix']]) {
      expect(ruleFor(method!, path!), `${method} ${path}`).toBeUndefined();
    }
    expect(inProtectedArea('/api/nothing')).toBe(true);
    expect(inProtectedArea('/metrics')).toBe(true);
    expect(inProtectedArea('/apix')).toBe(false);
    expect(inProtectedArea('/callbacks/a/b')).toBe(false);
  });

  it('asks the pages for basic auth and the rest for a bearer key, at the paths the app serves them', () => {
    expect([UI_PATH, BOARD_PATH]).toEqual(['/ui', '/board']);
    expect(credentialOf('/ui/monitors')).toBe('basic');
    expect(credentialOf('/board/api/queues')).toBe('basic');
    expect(credentialOf('/api/monitors')).toBe('bearer');
    expect(credentialOf('/metrics')).toBe('bearer');
    expect(credentialOf('/uix')).toBe('bearer');
  });
});
