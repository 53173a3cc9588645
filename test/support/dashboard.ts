import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DASHBOARD_FILE = join(__dirname, '..', '..', 'deploy', 'grafana', 'billing-service.json');

export interface DashboardTarget {
  expr: string;
  legendFormat?: string;
}

export interface DashboardPanel {
  title?: string;
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: DashboardTarget[];
}

export function loadDashboard(): { title: string; panels: DashboardPanel[] } {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { title: string; panels: DashboardPanel[] };
}

const NOT_METRICS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** The metric names a PromQL expression reads: identifiers left once strings, label sets, ranges, groupings and calls are removed. */
export function metricNamesOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...stripped.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?/g)]
    .filter(([, name, call]) => call === undefined && !NOT_METRICS.has(name.toLowerCase()))
    .map(([, name]) => name);
  return [...new Set(names)];
}

/** Grafana's legendFormat: {{label}} replaced by the series' label. */
export function legendOf(format: string | undefined, labels: Record<string, string>): string {
  return (format ?? '').replace(/\{\{\s*(\w+)\s*\}\}/g, (_, label: string) => labels[label] ?? '') || JSON.stringify(labels);
}
