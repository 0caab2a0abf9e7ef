// A tiny DOM builder: elements are created with textContent, never from HTML strings.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/**
 * A table with a caption and a header row; without rows it shows `empty` (if given) in one cell
 * across all columns. `attrs` go on the table element.
 */
export function table(caption, columns, rows, { empty, attrs = {} } = {}) {
  const none = empty !== undefined && (rows?.length ?? 0) === 0;
  return h(
    'table',
    attrs,
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h('tbody', {}, none ? h('tr', {}, h('td', { colspan: columns.length }, empty)) : rows),
  );
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

const shanghai = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** A time in Shanghai (the deadlines' time zone), e.g. 2026/12/03 24:00 shown as 2026/12/04 00:00. */
export function when(iso) {
  if (!iso) return '—';
  return shanghai.format(new Date(iso));
}

/**
 * A deadline in Shanghai time. A deadline at midnight is the end of the day before (a step's last
 * day ends at 24:00), so it reads 2026/12/15 24:00 rather than 2026/12/16 00:00.
 */
export function deadline(iso) {
  if (!iso) return '—';
  const at = new Date(iso);
  const text = shanghai.format(at);
  if (!text.endsWith(' 00:00')) return text;
  return shanghai.format(new Date(at.getTime() - 60_000)).replace(/ 23:59$/, ' 24:00');
}

export function timeEl(iso, { isDeadline } = {}) {
  return iso ? h('time', { datetime: iso }, isDeadline ? deadline(iso) : when(iso)) : '—';
}

let fieldSeq = 0;
/** A labelled form field; `error` is the place its error is shown (aria-describedby). */
export function field(labelText, control, { hint, inline } = {}) {
  const id = control.id || `f${++fieldSeq}`;
  control.id = id;
  const errorEl = h('p', { class: 'error', id: `${id}-error`, 'aria-live': 'polite' });
  control.setAttribute('aria-describedby', hint ? `${id}-hint ${id}-error` : `${id}-error`);
  const wrap = h(
    'div',
    { class: inline ? 'field inline' : 'field' },
    h('label', { for: id }, labelText),
    control,
    hint ? h('span', { class: 'muted', id: `${id}-hint` }, hint) : null,
    errorEl,
  );
  return { wrap, control, errorEl };
}

export function showFieldError(f, message) {
  f.errorEl.textContent = message;
  f.control.setAttribute('aria-invalid', 'true');
}

export function clearFieldError(f) {
  f.errorEl.textContent = '';
  f.control.removeAttribute('aria-invalid');
}
