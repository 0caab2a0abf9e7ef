// Simple inline SVG charts drawn here (no chart library, nothing loaded from elsewhere).
import { h, s } from './dom.js';

/**
 * A horizontal bar chart. `rows` are { label, value, late? }; `format` shows a value.
 * The figures are also in a table next to each chart, so the chart is decoration for screen readers.
 */
export function barChart(title, rows, { format = String, max } = {}) {
  const rowH = 24;
  const labelW = 160;
  const width = 640;
  const top = max ?? Math.max(1, ...rows.map((r) => r.value ?? 0));
  const svg = s(
    'svg',
    { viewBox: `0 0 ${width} ${rows.length * rowH + 8}`, width: '100%', role: 'img', 'aria-label': title },
    s('title', {}, title),
    rows.map((r, i) => {
      const y = i * rowH + 4;
      const w = r.value === null ? 0 : ((width - labelW - 60) * r.value) / top;
      return s(
        'g',
        {},
        s('text', { x: 0, y: y + 15 }, r.label),
        s('rect', { class: r.late ? 'bar late' : 'bar', x: labelW, y, width: Math.max(w, 1), height: rowH - 6 }),
        s('text', { x: labelW + w + 6, y: y + 15 }, r.value === null ? '无' : format(r.value)),
      );
    }),
  );
  return h('figure', { class: 'chart' }, h('figcaption', {}, title), rows.length ? svg : h('p', {}, '暂无数据'));
}
