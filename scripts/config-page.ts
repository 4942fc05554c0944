import { CONFIG_OPTIONS, type ConfigOption } from '../src/config/options.ts';
import { describeDefault, optionOfEnv } from '../src/config/describe-option.ts';
import { MONITOR_FIELDS, type MonitorField } from '../src/monitor/input-fields.ts';

/** Where the page is kept, from the repository's root. */
export const CONFIG_PAGE_PATH = 'docs/configuration.md';
/** The command that writes it. */
export const CONFIG_PAGE_COMMAND = 'npm run docs:config';

/**
 * docs/configuration.md, made from the two declarations: CONFIG_OPTIONS (every environment
 * variable) and MONITOR_FIELDS (every field of a monitor's input, and its enqueue flag). Nothing
 * on the page is written by hand, so it cannot say one thing while the code does another.
 */
export function renderConfigPage(): string {
  return [
    '# Configuration',
    '',
    `<!-- Made by \`${CONFIG_PAGE_COMMAND}\` from src/config/options.ts and src/monitor/input-fields.ts; edit those, not this page. -->`,
    '',
    "Every environment variable that jobwatch's commands and processes read, with its default, what it accepts and what it",
    'means, then every field a monitor is started with and its `jobwatch enqueue` flag. (The variables of the test, chaos,',
    'soak and bench runs are in [Contributing](../CONTRIBUTING.md) and [Benchmarks](benchmarks.md).)',
    'Part of the [jobwatch documentation](../README.md#documentation).',
    '',
    'jobwatch reads its configuration from the environment once, when a process starts (`loadConfig`), and passes the',
    'validated, frozen result down; nothing else reads the environment. An empty variable counts as unset. A bad value',
    'stops the process (exit code 2) with one line that names the variable and what it accepts, e.g.',
    '`jobwatch: JOBWATCH_CONCURRENCY: must be at least 1`.',
    '',
    'The second column is the field of the `Config` object that `loadConfig` returns (for the library, and `withOverrides`).',
    '',
    '## Environment variables',
    '',
    '| Variable | `Config` field | Default | Accepts | Meaning |',
    '| --- | --- | --- | --- | --- |',
    ...Object.entries(CONFIG_OPTIONS).map(([key, spec]: [string, ConfigOption]) =>
      row([`\`${spec.env}\``, `\`${key}\``, describeDefault(spec), spec.check.accepts, spec.description])),
    '',
    '## Monitor fields and `jobwatch enqueue` flags',
    '',
    'What a monitor is started with: the body of `POST /api/monitors` (see the OpenAPI document at `/openapi.json`), the',
    "library's `startMonitor` input, and the flags of `jobwatch enqueue` (`jobwatch enqueue --help`). Give exactly one of",
    '`statusUrl`, `batchStatusUrl` or `statusHook`. A field left out gets the default; where that is a variable, its',
    "value as configured (the variable's own default in parentheses).",
    '',
    '| Field | Flag | Default | Meaning |',
    '| --- | --- | --- | --- |',
    ...Object.entries(MONITOR_FIELDS).map(([name, spec]: [string, MonitorField]) =>
      row([`\`${name}\``, flagOf(spec), fieldDefaultText(spec), spec.description])),
    '',
  ].join('\n');
}

function flagOf(spec: MonitorField): string {
  if (!spec.flag) return 'none (library and HTTP API only)';
  return `\`--${spec.flag.name}${spec.flag.value ? ` ${spec.flag.value}` : ''}\``;
}

function fieldDefaultText(spec: MonitorField): string {
  if (spec.required) return 'required';
  if (spec.defaultEnv) {
    const option = optionOfEnv(spec.defaultEnv);
    return option && !('unset' in option) ? `\`${spec.defaultEnv}\` (${describeDefault(option)})` : `\`${spec.defaultEnv}\``;
  }
  return spec.default ?? 'none';
}

/** A table row; a `|` inside a cell would end it. */
function row(cells: string[]): string {
  return `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
}
