// Element building and formatting for the dashboard. Every piece of data reaches the page as a
// text node or an attribute value, never as markup: error texts come from providers and are untrusted.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The placeholder for a value the gateway did not give. */
export const DASH = '—';

/**
 * An element: `h('td', {class: 'num', data: {deliveryId: id}, onclick: f}, 'text', child)`.
 * `text` sets textContent; `data` sets data-* attributes; `on...` adds listeners; anything else is
 * an attribute. Children are nodes or strings (as text), null and false are skipped, arrays flattened.
 */
export function h(tag, props, ...children) {
  return build(document.createElement(tag), props, children);
}

/** The same for SVG elements. */
export function s(tag, props, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

function build(el, props, children) {
  for (const [name, value] of Object.entries(props || {})) {
    if (value == null || value === false) {
      continue;
    }
    if (name === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (name === 'text') {
      el.textContent = String(value);
    } else if (name === 'data') {
      for (const [key, v] of Object.entries(value)) {
        if (v != null) {
          el.dataset[key] = String(v);
        }
      }
    } else if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'style') {
      throw new Error('no style attributes: the page policy refuses them');
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(el, child);
    } else {
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
}

// ---- reading an answer defensively: a missing or odd field becomes null, never an exception ----

/** A finite number, or null. */
export function num(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A plain object, or an empty one. */
export function obj(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

/** An array, or an empty one. */
export function arr(value) {
  return Array.isArray(value) ? value : [];
}

/** A non-empty string, or null. */
export function str(value) {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null;
}

/** A Date from an ISO string, or null. */
export function date(value) {
  if (typeof value !== 'string') {
    return null;
  }
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

// ---- formatting ----

const whole = new Intl.NumberFormat(undefined, {maximumFractionDigits: 0});

/** 12,345 or —. */
export function count(value) {
  const n = num(value);
  return n == null ? DASH : whole.format(n);
}

/** A 0..1 ratio as 99.2 % (— when there is none). */
export function percent(value) {
  const n = num(value);
  if (n == null) {
    return DASH;
  }
  const p = n * 100;
  if (p <= 0 || p >= 100) {
    return Math.round(p) + ' %';
  }
  // never round a failure away: 99.96 % shows as 99.9 %, not 100 %
  return (p < 1 ? p.toFixed(2) : Math.min(p, 99.9).toFixed(1)) + ' %';
}

/** A span of seconds as 45 s, 12 min 5 s, 3 h 20 min, 2 d 4 h. */
export function span(seconds) {
  const n = num(seconds);
  if (n == null) {
    return DASH;
  }
  const t = Math.max(0, Math.round(n));
  if (t < 60) {
    return t + ' s';
  }
  if (t < 3600) {
    const m = Math.floor(t / 60);
    const rest = t % 60;
    return m + ' min' + (rest && m < 10 ? ' ' + rest + ' s' : '');
  }
  if (t < 86400) {
    const hours = Math.floor(t / 3600);
    const m = Math.floor((t % 3600) / 60);
    return hours + ' h' + (m ? ' ' + m + ' min' : '');
  }
  const days = Math.floor(t / 86400);
  const hours = Math.floor((t % 86400) / 3600);
  return days + ' d' + (hours ? ' ' + hours + ' h' : '');
}

/** A duration in milliseconds as 850 ms or 1.24 s. */
export function millis(value) {
  const n = num(value);
  if (n == null) {
    return DASH;
  }
  return n < 1000 ? Math.round(n) + ' ms' : (n / 1000).toFixed(n < 10000 ? 2 : 1) + ' s';
}

/** How long ago an ISO time was: "4 min ago" (or "in 3 min" for the future). */
export function ago(iso, now = Date.now()) {
  const d = date(iso);
  if (!d) {
    return DASH;
  }
  const seconds = (now - d.getTime()) / 1000;
  if (Math.abs(seconds) < 5) {
    return 'just now';
  }
  return seconds >= 0 ? span(seconds) + ' ago' : 'in ' + span(-seconds);
}

const clockFormat = new Intl.DateTimeFormat(undefined, {hour: '2-digit', minute: '2-digit', second: '2-digit'});
const dayClockFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit'});
const minuteFormat = new Intl.DateTimeFormat(undefined, {hour: '2-digit', minute: '2-digit'});

/** Local wall-clock time, with the day when it is not today. */
export function when(iso) {
  const d = date(iso);
  if (!d) {
    return DASH;
  }
  return d.toDateString() === new Date().toDateString() ? clockFormat.format(d) : dayClockFormat.format(d);
}

/** 14:05 */
export function minute(d) {
  return minuteFormat.format(d);
}

/** A <time> showing `when` with the exact ISO value on hover. */
export function timeEl(iso, text) {
  const d = date(iso);
  return h('time', {datetime: d ? d.toISOString() : null, title: d ? d.toISOString() : null, text: text ?? when(iso)});
}

/** The first characters of a UUID, for dense tables (the whole id stays in the title). */
export function shortId(id) {
  const text = str(id);
  return text == null ? DASH : text.length > 13 ? text.slice(0, 8) + '…' + text.slice(-4) : text;
}
