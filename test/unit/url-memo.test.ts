import { describe, expect, it } from 'vitest';
import { memoPerUrl } from '../../src/monitor/url-memo.ts';

describe('memoPerUrl', () => {
  it('works a URL out once, and starts afresh when full', () => {
    let derived = 0;
    const memo = memoPerUrl<string>(2);
    const hostOf = (url: string) => memo(url, () => { derived++; return new URL(url).host; });
    expect([hostOf('http://a/1'), hostOf('http://a/1'), hostOf('http://b/1')]).toEqual(['a', 'a', 'b']);
    expect(derived).toBe(2);
    hostOf('http://c/1'); // full: forgets a and b
    hostOf('http://a/1');
    expect(derived).toBe(4);
  });
});
