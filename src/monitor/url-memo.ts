/**
 * What is worked out from a status URL (its host, for a metric label or a span name), remembered per
 * URL: most monitors share a few URLs, and parsing one at every poll shows in the profile. At most
 * `max` URLs are kept; past that the memo starts afresh, so a fleet of distinct URLs costs a parse
 * each, as before, and no more memory. `derive` runs only for a URL not remembered.
 */
export function memoPerUrl<T>(max = 1_000): (url: string, derive: () => T) => T {
  const remembered = new Map<string, T>();
  return (url, derive) => {
    if (remembered.has(url)) return remembered.get(url)!;
    if (remembered.size >= max) remembered.clear();
    const value = derive();
    remembered.set(url, value);
    return value;
  };
}
