import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { safeUrl } from '../../src/tracing/safe-url.ts';
import { tracingSettings } from '../../src/tracing/settings.ts';

const settingsOf = (env: Record<string, string>) => tracingSettings(loadConfig(env), 'jobwatch-test');

describe('whether tracing is on', () => {
  it.each([
    [{}, false],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }, true],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }, false],
    [{ OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, true],
  ])('%j: %s', (env, on) => {
    expect(settingsOf(env) !== undefined).toBe(on);
  });

  it('is parent-based, always on, by default, and honours the sampler variables and the protocol', () => {
    expect(settingsOf({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({
      protocol: 'http/protobuf', sampler: { name: 'parentbased_always_on', ratio: 1 }, serviceName: 'jobwatch-test', batchDelayMs: 5_000,
    });
    expect(settingsOf({
      OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'mine',
    })).toMatchObject({ protocol: 'http/json', sampler: { name: 'parentbased_traceidratio', ratio: 0.1 }, serviceName: 'mine' });
  });

  it.each([
    [{ OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL: must be http/protobuf or http/json'],
    [{ OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER: must be one of'],
  ])('refuses %j with a one-line error naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('the URL a status request span carries', () => {
  it('has no user, password or query value', () => {
    expect(safeUrl(new URL('https://user:pw@api.example.com:8443/jobs/7?key=secret&x=1&x=2'))).toBe('https://api.example.com:8443/jobs/7?key=REDACTED&x=REDACTED');
  });
});
