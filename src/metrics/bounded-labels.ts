/**
 * Label values one process reports as they are, up to a cap; values after the first `max` are
 * summed under `other`. Rate keys and namespaces come from monitors, which can name any number of
 * them: the cap keeps the series of a process bounded.
 */
export class BoundedLabels {
  private readonly named = new Set<string>();

  constructor(
    private readonly max: number,
    readonly other = 'other',
  ) {}

  labelOf(value: string): string {
    if (this.named.has(value)) return value;
    if (this.named.size >= this.max) return this.other;
    this.named.add(value);
    return value;
  }
}
