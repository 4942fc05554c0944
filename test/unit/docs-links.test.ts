import { existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentationPaths, PROJECT_ROOT, readPage } from '../helpers/docs.ts';

/**
 * Every relative link and every anchor in README.md, CONTRIBUTING.md and docs/*.md resolves: the
 * file exists, and the `#heading` is one of the target page's headings as GitHub slugs them.
 */

/** The page's text with fenced code blocks and inline code spans blanked: links there are code. */
function withoutCode(markdown: string): string {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
    .replace(/(`+)[\s\S]*?\1/g, '');
}

/** GitHub's heading anchors (github-slugger): lower case, punctuation dropped, spaces to `-`, repeats numbered. */
export function headingSlugs(markdown: string): Set<string> {
  const slugs = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const [, heading] of text.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const plain = heading!
      .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '');
    const base = plain.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    slugs.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const [, id] of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) slugs.add(id!);
  return slugs;
}

/** The targets of inline links and images, and of reference definitions. */
export function linkTargets(markdown: string): string[] {
  const text = withoutCode(markdown);
  const inline = [...text.matchAll(/!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(([, target]) => target!);
  const references = [...text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map(([, target]) => target!);
  return [...inline, ...references];
}

/** What is wrong with each link of `page` that does not resolve; external links are not followed. */
export function brokenLinks(page: string, markdown: string, readTarget: (path: string) => string | undefined): string[] {
  const problems: string[] = [];
  for (const target of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue;
    const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
    const path = pathPart === '' ? page : normalize(join(pathPart.startsWith('/') ? '' : dirname(page), decodeURIComponent(pathPart)));
    const content = readTarget(path);
    if (content === undefined) {
      problems.push(`${page}: ${target}: no file ${path}`);
      continue;
    }
    if (anchor !== undefined && path.endsWith('.md') && !headingSlugs(content).has(decodeURIComponent(anchor))) {
      problems.push(`${page}: ${target}: no heading #${anchor} in ${path}`);
    }
  }
  return problems;
}

function readFromProject(path: string): string | undefined {
  if (!existsSync(join(PROJECT_ROOT, path))) return undefined;
  return path.endsWith('.md') ? readPage(path) : '';
}

describe('the checker', () => {
  it('slugs headings as GitHub does', () => {
    const slugs = headingSlugs('# jobwatch\n### Wait for a job in a script: `jobwatch watch`\n## Push a status, callback URLs and schedules\n## The demo: `npm start`\n## Notes\n## Notes\n```\n# not a heading\n```\n');
    expect([...slugs]).toEqual(['jobwatch', 'wait-for-a-job-in-a-script-jobwatch-watch', 'push-a-status-callback-urls-and-schedules', 'the-demo-npm-start', 'notes', 'notes-1']);
  });

  it('finds links, skips code, and reports a missing file and a missing heading', () => {
    const pages: Record<string, string> = { 'docs/a.md': '# A\n## Here\n', 'README.md': '# R\n' };
    const markdown = '# B\nSee [a](a.md#here), [b](#b), [home](../README.md), [web](https://example.com) and ![img](pic.png).\n'
      + 'Broken: [x](a.md#there), [y](nope.md), [z](#nowhere). `[code](missing.md)`\n```\n[fenced](missing.md)\n```\n';
    expect(linkTargets(markdown)).toEqual(['a.md#here', '#b', '../README.md', 'https://example.com', 'pic.png', 'a.md#there', 'nope.md', '#nowhere']);
    const read = (path: string): string | undefined => (path === 'docs/b.md' ? markdown : path === 'docs/pic.png' ? '' : pages[path]);
    expect(brokenLinks('docs/b.md', markdown, read)).toEqual([
      'docs/b.md: a.md#there: no heading #there in docs/a.md',
      'docs/b.md: nope.md: no file docs/nope.md',
      'docs/b.md: #nowhere: no heading #nowhere in docs/b.md',
    ]);
  });
});

describe('the documentation', () => {
  const paths = documentationPaths();

  it('has a README, a CONTRIBUTING and pages under docs/', () => {
    expect(paths.slice(0, 2)).toEqual(['README.md', 'CONTRIBUTING.md']);
    expect(paths.length).toBeGreaterThan(10);
  });

  it('every relative link and anchor resolves', () => {
    const targets = paths.flatMap((path) => linkTargets(readPage(path)));
    // Found links at all, anchors among them: a checker that reads nothing passes nothing.
    expect(targets.length).toBeGreaterThan(20);
    expect(targets.filter((target) => target.includes('#')).length).toBeGreaterThan(20);
    expect(paths.flatMap((path) => brokenLinks(path, readPage(path), readFromProject))).toEqual([]);
  });

  it('the README links to every page, and every page links back to it', () => {
    const readmeTargets = new Set(linkTargets(readPage('README.md')).map((target) => target.split('#')[0]));
    for (const path of paths.filter((p) => p.startsWith('docs/'))) {
      expect(readmeTargets, `README.md links to ${path}`).toContain(path);
      expect(linkTargets(readPage(path)).some((target) => target.startsWith('../README.md')), `${path} links back to the README`).toBe(true);
    }
  });
});
