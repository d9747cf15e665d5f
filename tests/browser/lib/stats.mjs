// Median / p95 of a list of numbers.
export function summarize(values) {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  const at = (q) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN);
  return { count: s.length, median: at(0.5), p95: at(0.95), min: s[0], max: s[s.length - 1] };
}
