// Small SVG line charts for per-minute series: drawn at the host's real pixel width (so text is never
// stretched), redrawn when it resizes, with a cursor that follows the mouse or the arrow keys.

import {h, s, minute, num} from './dom.js';

/**
 * Draws `spec` into `host` and keeps it drawn:
 * {label, times: [Date], series: [{name, cls, values: [number|null]}], format: v => text,
 *  minStep: smallest grid step, cap: largest maximum (1 for rates), area: fill under the lines}.
 */
export function chart(host, spec) {
  host.chartSpec = spec;
  host.classList.remove('chart-empty');
  if (!host.chartObserver) {
    host.chartObserver = new ResizeObserver(() => {
      if (host.clientWidth !== host.chartWidth) {
        paint(host);
      }
    });
    host.chartObserver.observe(host);
    host.tabIndex = 0;
    host.addEventListener('keydown', e => host.chartKey && host.chartKey(e));
    host.addEventListener('blur', () => host.chartHide && host.chartHide());
  }
  paint(host);
}

/** The grid step: 1, 2 or 5 times a power of ten, at least `minStep`, so four steps hold `top`. */
function step(top, minStep) {
  const raw = Math.max(top / 4, minStep);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) {
    if (m * power >= raw - 1e-12) {
      return m * power;
    }
  }
  return 10 * power;
}

function paint(host) {
  const spec = host.chartSpec;
  const width = Math.floor(host.clientWidth);
  host.chartWidth = host.clientWidth;
  if (!spec || width < 80) {
    return;
  }
  const height = spec.height || 180;
  const pad = {left: 46, right: 12, top: 10, bottom: 22};
  const n = spec.times.length;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  let top = 0;
  for (const serie of spec.series) {
    for (const v of serie.values) {
      top = Math.max(top, num(v) ?? 0);
    }
  }
  let gridStep = step(top, spec.minStep || 1);
  if (spec.cap && gridStep * 4 > spec.cap) {
    gridStep = spec.cap / 4;
  }
  const max = gridStep * 4;
  const x = i => pad.left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = v => pad.top + plotH * (1 - Math.min(v, max) / max);

  const svg = s('svg', {class: 'chart-svg', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': spec.label});
  for (let k = 0; k <= 4; k++) {
    const yy = Math.round(y(gridStep * k)) + 0.5;
    svg.append(s('line', {class: k === 0 ? 'baseline' : 'grid', x1: pad.left, x2: width - pad.right, y1: yy, y2: yy}),
      s('text', {class: 'axis', x: pad.left - 8, y: yy + 4, 'text-anchor': 'end', text: spec.format(gridStep * k)}));
  }
  for (let i = 0; i < n; i++) {
    const t = spec.times[i];
    if (t && t.getMinutes() % 15 === 0) {
      svg.append(s('text', {class: 'axis', x: x(i), y: height - 5, 'text-anchor': 'middle', text: minute(t)}));
    }
  }
  for (const serie of spec.series) {
    for (const run of runs(serie.values)) {
      const points = run.map(i => [x(i), y(num(serie.values[i]))]);
      const line = points.map(([px, py], k) => (k ? 'L' : 'M') + px.toFixed(1) + ' ' + py.toFixed(1)).join(' ');
      if (spec.area) {
        const base = y(0).toFixed(1);
        svg.append(s('path', {class: 'area ' + serie.cls,
          d: line + ` L${points[points.length - 1][0].toFixed(1)} ${base} L${points[0][0].toFixed(1)} ${base} Z`}));
      }
      svg.append(points.length === 1
        ? s('circle', {class: 'point ' + serie.cls, cx: points[0][0], cy: points[0][1], r: 2})
        : s('path', {class: 'line ' + serie.cls, d: line}));
    }
  }

  const guide = s('line', {class: 'guide', y1: pad.top, y2: pad.top + plotH, visibility: 'hidden'});
  const dots = spec.series.map(serie => s('circle', {class: 'dot ' + serie.cls, r: 3.5, visibility: 'hidden'}));
  svg.append(guide, ...dots);
  const tip = h('div', {class: 'chart-tip', hidden: true});
  host.replaceChildren(svg, tip);

  let cursor = null;
  const show = i => {
    cursor = Math.max(0, Math.min(n - 1, i));
    host.chartCursor = cursor;
    const gx = x(cursor);
    guide.setAttribute('x1', gx);
    guide.setAttribute('x2', gx);
    guide.setAttribute('visibility', 'visible');
    spec.series.forEach((serie, k) => {
      const v = num(serie.values[cursor]);
      dots[k].setAttribute('visibility', v == null ? 'hidden' : 'visible');
      if (v != null) {
        dots[k].setAttribute('cx', gx);
        dots[k].setAttribute('cy', y(v));
      }
    });
    const t = spec.times[cursor];
    tip.replaceChildren(h('div', {class: 'tip-time', text: t ? minute(t) : ''}),
      ...spec.series.map(serie => h('div', {class: 'tip-row'},
        h('span', {class: 'swatch ' + serie.cls}), h('span', {text: serie.name}),
        h('b', {text: num(serie.values[cursor]) == null ? '—' : (spec.tipFormat || spec.format)(serie.values[cursor])}))));
    tip.hidden = false;
    const left = gx + 12 + tip.offsetWidth > width ? gx - 12 - tip.offsetWidth : gx + 12;
    tip.style.left = Math.max(0, left) + 'px';
    tip.style.top = pad.top + 'px';
  };
  const hide = () => {
    cursor = null;
    host.chartCursor = null;
    tip.hidden = true;
    guide.setAttribute('visibility', 'hidden');
    dots.forEach(d => d.setAttribute('visibility', 'hidden'));
  };
  svg.addEventListener('mousemove', e => {
    const box = svg.getBoundingClientRect();
    show(Math.round(((e.clientX - box.left - pad.left) / plotW) * (n - 1)));
  });
  svg.addEventListener('mouseleave', hide);
  host.chartHide = hide;
  // a refresh redraws the chart under the pointer: keep the minute the reader was looking at
  if (host.chartCursor != null && n > 0) {
    show(host.chartCursor);
  }
  host.chartKey = e => {
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      show(cursor == null ? n - 1 : cursor + (e.key === 'ArrowLeft' ? -1 : 1));
    } else if (e.key === 'Escape') {
      hide();
    }
  };
}

/** The runs of consecutive indexes holding a number (a gap in the data is a gap in the line). */
function runs(values) {
  const out = [];
  let current = [];
  values.forEach((v, i) => {
    if (num(v) == null) {
      if (current.length) {
        out.push(current);
      }
      current = [];
    } else {
      current.push(i);
    }
  });
  if (current.length) {
    out.push(current);
  }
  return out;
}
