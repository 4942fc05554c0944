import { CONFIG_OPTIONS, type ConfigOption } from './options.ts';

/** The option read from environment variable `env`, if jobwatch has one. */
export function optionOfEnv(env: string): ConfigOption | undefined {
  return Object.values(CONFIG_OPTIONS).find((spec) => spec.env === env);
}

/** An option's default as people read it: the value as the variable would hold it, or what unset means. */
export function describeDefault(spec: ConfigOption): string {
  if ('unset' in spec) return `unset: ${spec.unset}`;
  return spec.defaultText ?? `\`${spec.check.show(spec.default)}\``;
}

/**
 * A monitor field's default that a variable gives, as the enqueue help writes it:
 * `JOBWATCH_DEFAULT_INTERVAL, 60s`, or only the name when the variable has no default.
 */
export function describeEnvDefault(env: string): string {
  const spec = optionOfEnv(env);
  if (!spec) throw new Error(`${env} is no option of CONFIG_OPTIONS (config/options.ts)`);
  return 'unset' in spec || spec.defaultText ? env : `${env}, ${spec.check.show(spec.default)}`;
}
