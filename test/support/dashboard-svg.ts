export interface ChartSeries {
  label: string;
  points: [number, number][];
}

export interface ChartPanel {
  title: string;
  unit: string;
  series: ChartSeries[];
}

export interface Band {
  from: number;
  to: number;
  label: string;
  state: 'pending' | 'firing';
}

const BAND_COLORS = { pending: '#ff7f0e', firing: '#d62728' };

const WIDTH = 470;
const HEIGHT = 230;
const PLOT = { left: 64, right: 12, top: 30, bottom: 66 };
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A value as Grafana shows it for the panel's unit. */
export function formatValue(value: number, unit: string): string {
  const round = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));
  if (unit === 's') return value !== 0 && Math.abs(value) < 1 ? `${round(value * 1000)} ms` : `${round(value)} s`;
  if (unit === 'percentunit') return `${round(value * 100)}%`;
  if (unit === 'ops') return `${round(value)}/s`;
  return round(value);
}

/** Points to SVG paths; a NaN or a gap longer than two steps breaks the line, as Grafana does for missing data. */
function path(points: [number, number][], x: (t: number) => number, y: (v: number) => number, step: number): string {
  let d = '';
  let last: number | undefined;
  for (const [t, v] of points) {
    if (!Number.isFinite(v)) {
      last = undefined;
      continue;
    }
    d += `${last === undefined || t - last > 2 * step ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)} `;
    last = t;
  }
  return d.trim();
}

function panelSvg(panel: ChartPanel, start: number, end: number, step: number, bands: Band[]): string {
  const values = panel.series.flatMap((s) => s.points.map(([, v]) => v)).filter(Number.isFinite);
  const max = Math.max(...values, 0) * 1.1 || 1;
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
  const x = (t: number) => PLOT.left + ((t - start) / (end - start)) * plotWidth;
  const y = (v: number) => PLOT.top + plotHeight - (v / max) * plotHeight;
  const parts = [
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff" stroke="#ccc"/>`,
    `<text x="10" y="19" font-weight="bold">${escape(panel.title)}</text>`,
    ...bands.map((b, i) => {
      const color = BAND_COLORS[b.state];
      const label = `<text x="${(x(b.to) - 3).toFixed(1)}" y="${PLOT.top + 11 + i * 11}" fill="${color}" font-size="9" text-anchor="end">${escape(b.label)}</text>`;
      return `<rect x="${x(b.from).toFixed(1)}" y="${PLOT.top}" width="${(x(b.to) - x(b.from)).toFixed(1)}" height="${plotHeight}" fill="${color}" fill-opacity="0.15"/>${label}`;
    }),
    `<line x1="${PLOT.left}" y1="${PLOT.top + plotHeight}" x2="${WIDTH - PLOT.right}" y2="${PLOT.top + plotHeight}" stroke="#999"/>`,
    `<line x1="${PLOT.left}" y1="${PLOT.top}" x2="${PLOT.left}" y2="${PLOT.top + plotHeight}" stroke="#999"/>`,
    `<text x="${PLOT.left - 4}" y="${PLOT.top + 4}" text-anchor="end">${formatValue(max, panel.unit)}</text>`,
    `<text x="${PLOT.left - 4}" y="${PLOT.top + plotHeight}" text-anchor="end">${formatValue(0, panel.unit)}</text>`,
    `<text x="${PLOT.left}" y="${PLOT.top + plotHeight + 13}">0 s</text>`,
    `<text x="${WIDTH - PLOT.right}" y="${PLOT.top + plotHeight + 13}" text-anchor="end">${Math.round(end - start)} s</text>`,
  ];
  if (values.length === 0)
    parts.push(`<text x="${PLOT.left + plotWidth / 2}" y="${PLOT.top + plotHeight / 2}" text-anchor="middle" fill="#999">no data</text>`);
  panel.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    parts.push(`<path d="${path(s.points, x, y, step)}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    const lx = PLOT.left + (i % 3) * 135;
    const ly = PLOT.top + plotHeight + 30 + Math.floor(i / 3) * 14;
    parts.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${color}"/><text x="${lx + 14}" y="${ly - 3}">${escape(s.label)}</text>`);
  });
  return parts.join('');
}

/** The dashboard's panels as a grid of line charts over [start, end], with alert intervals shaded. */
export function renderDashboardSvg(
  heading: { title: string; subtitle: string },
  panels: ChartPanel[],
  range: { start: number; end: number; step: number },
  bands: Band[],
): string {
  const columns = 2;
  const rows = Math.ceil(panels.length / columns);
  const width = columns * (WIDTH + 10) + 10;
  const height = rows * (HEIGHT + 10) + 50;
  const cells = panels.map((panel, i) => {
    const tx = 10 + (i % columns) * (WIDTH + 10);
    const ty = 46 + Math.floor(i / columns) * (HEIGHT + 10);
    return `<g transform="translate(${tx},${ty})">${panelSvg(panel, range.start, range.end, range.step, bands)}</g>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#f4f5f5"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escape(heading.title)}</text>`,
    `<text x="10" y="36">${escape(heading.subtitle)}</text>`,
    ...cells,
    '</svg>\n',
  ].join('\n');
}
