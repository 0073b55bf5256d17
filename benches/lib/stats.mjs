// Medians with min and max, and the table formatting of RESULTS.md.

export function summary(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { n: 0, median: NaN, min: NaN, max: NaN };
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { n: v.length, median, min: v[0], max: v.at(-1) };
}

/** Element-wise a[i] - b[i] (paired by iteration). */
export const minus = (a, b) => a.map((x, i) => x - b[i]);

const fixed = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** "12.3 (10.1–15.0)" */
export function fmt(s, digits = 1) {
  if (!s || s.n === 0) return 'n/a';
  return `${fixed(s.median, digits)} (${fixed(s.min, digits)}–${fixed(s.max, digits)})`;
}

/** ours / peer of two medians, "—" when the peer's is not positive. */
export function ratio(ours, peer, digits = 2) {
  if (!Number.isFinite(ours) || !Number.isFinite(peer) || peer <= 0) return '—';
  return `${(ours / peer).toFixed(digits)}×`;
}

export const kb = (bytes, digits = 1) => (bytes / 1024).toFixed(digits);

export function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
