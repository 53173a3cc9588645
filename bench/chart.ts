export interface Bar {
  label: string;
  value: number;
  note?: string;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A horizontal bar chart as a standalone SVG: no chart service, no dependency. The scale is
 * logarithmic (from 100), since the variants differ by two orders of magnitude; each bar is labelled.
 */
export function barChartSvg(title: string, unit: string, bars: Bar[]): string {
  const width = 760;
  const labelWidth = 230;
  const barHeight = 30;
  const gap = 14;
  const top = 50;
  const plot = width - labelWidth - 110;
  const floor = 2;
  const maxLog = Math.max(...bars.map((b) => Math.log10(Math.max(b.value, 100))), floor + 1);
  const height = top + bars.length * (barHeight + gap) + 20;
  const rows = bars.map((bar, i) => {
    const y = top + i * (barHeight + gap);
    const w = Math.max(1, Math.round(((Math.log10(Math.max(bar.value, 100)) - floor) / (maxLog - floor)) * plot));
    const fill = bar.label.startsWith('this service') ? '#2f6fdf' : '#9aa5b1';
    return [
      `<text x="${labelWidth - 10}" y="${y + barHeight / 2 + 5}" text-anchor="end">${escape(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${w}" height="${barHeight}" fill="${fill}"/>`,
      `<text x="${labelWidth + w + 8}" y="${y + barHeight / 2 + 5}">${Math.round(bar.value).toLocaleString('en-US')}${bar.note ? ` ${escape(bar.note)}` : ''}</text>`,
    ].join('\n  ');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="14">
  <rect width="100%" height="100%" fill="#ffffff"/>
  <text x="${width / 2}" y="28" text-anchor="middle" font-size="17" font-weight="bold">${escape(title)} (${escape(unit)}, log scale)</text>
  ${rows.join('\n  ')}
</svg>
`;
}
