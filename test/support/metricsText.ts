/** The samples of one metric family in Prometheus /metrics text, as sorted `labels value` lines (labels as printed). */
export function metricSamples(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => line.slice(name.length).trim())
    .sort();
}
