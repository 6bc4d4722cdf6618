/** "1 thread", "2 threads": a count with its noun, plural unless the count is 1. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
