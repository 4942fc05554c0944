import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_PAGE_COMMAND, CONFIG_PAGE_PATH, renderConfigPage } from '../../scripts/config-page.ts';
import { CONFIG_OPTIONS } from '../../src/config/options.ts';
import { DEFAULTS, loadConfig } from '../../src/config/config.ts';
import { optionOfEnv } from '../../src/config/describe-option.ts';
import { MONITOR_FIELDS, type MonitorField } from '../../src/monitor/input-fields.ts';
import { monitorInputSchema } from '../../src/monitor/input.ts';
import { enqueueHelp } from '../../src/cli/commands/enqueue.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const options = Object.entries(CONFIG_OPTIONS);
const fields: [string, MonitorField][] = Object.entries(MONITOR_FIELDS);

describe('docs/configuration.md', () => {
  it('is what the declarations make', () => {
    const committed = readFileSync(join(ROOT, CONFIG_PAGE_PATH), 'utf8');
    // Compared whole, but a stale page is reported by the command that fixes it, not by a diff alone.
    expect(committed === renderConfigPage(), `${CONFIG_PAGE_PATH} differs from the code; run \`${CONFIG_PAGE_COMMAND}\` and commit it`).toBe(true);
  });

  it('lists every variable and every monitor field, with the flag of each that has one', () => {
    const page = renderConfigPage();
    for (const [, spec] of options) expect(page).toContain(`| \`${spec.env}\` |`);
    for (const [name, spec] of fields) {
      expect(page).toContain(`| \`${name}\` |`);
      if (spec.flag) expect(page).toContain(`\`--${spec.flag.name}`);
    }
  });
});

describe('the declaration of the options', () => {
  it('names each variable once', () => {
    const names = options.map(([, spec]) => spec.env);
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives DEFAULTS and an unset environment the declared default of every option, and undefined to the rest', () => {
    const config = loadConfig({});
    for (const [key, spec] of options) {
      expect(config[key as keyof typeof config], key).toBe(spec.default);
      if ('default' in spec && spec.default !== undefined) expect(DEFAULTS[key as keyof typeof DEFAULTS], key).toBe(spec.default);
      else expect(Object.hasOwn(DEFAULTS, key), key).toBe(false);
    }
  });

  it('shows each default in a form its own check accepts', () => {
    for (const [key, spec] of options) {
      if (!('default' in spec) || spec.default === undefined || 'defaultText' in spec) continue;
      const shown = spec.check.show(spec.default as never);
      expect(spec.check.schema.parse(shown), key).toEqual(spec.default);
    }
  });

  it('declares every variable src/ reads: the environment is read only by loadConfig', () => {
    const sources = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []);
    const reads = sources(join(ROOT, 'src')).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return [...text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*))/g)].map((match) => `${relative(ROOT, file)}: ${match[1] ?? match[2]}`);
    });
    expect(reads).toEqual([]);
    // The pattern still finds a read of a variable by name (the one this test forbids).
    expect('if (env.JOBWATCH_DEBUG)'.match(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*))/)?.[1]).toBe('JOBWATCH_DEBUG');
    expect(optionOfEnv('JOBWATCH_DEBUG')).toBeDefined();
  });
});

describe('the declaration of the monitor fields', () => {
  it('is the input schema, field for field', () => {
    expect(Object.keys(monitorInputSchema.shape)).toEqual(fields.map(([name]) => name));
  });

  it('names only variables that are options as defaults', () => {
    for (const [name, spec] of fields) {
      if (spec.defaultEnv) expect(optionOfEnv(spec.defaultEnv), name).toBeDefined();
    }
  });

  it('gives `jobwatch enqueue --help` one line per flag, with its default', () => {
    for (const [, spec] of fields) {
      if (spec.flag) expect(enqueueHelp).toMatch(new RegExp(`^  --${spec.flag.name}\\b`, 'm'));
    }
    expect(enqueueHelp).toContain('(default: JOBWATCH_DEFAULT_INTERVAL, 1m)');
    expect(enqueueHelp.split('\n').filter((line) => line.startsWith('  ') && line.length > 100)).toEqual([]);
  });
});
