// The overview: tiles, the two per-minute charts, active alerts, channels with their queues, and
// the nodes, all drawn from one GET /v1/stats answer. A gateway that predates a field gets "—" or a
// "not available on this gateway version" line for that panel; nothing here may throw on odd data.

import {chart} from './charts.js';
import {DASH, ago, arr, count, date, h, num, obj, percent, span, str, timeEl, when} from './dom.js';

const CHANNEL_ORDER = ['email', 'sms', 'whatsapp', 'webhook'];
const PRIORITIES = ['critical', 'high', 'normal', 'low'];
const NOT_HERE = 'not available on this gateway version';

const $ = id => document.getElementById(id);

/** Redraws every panel. `alerts` is {items} or {unavailable: true} or {error: message}. */
export function renderOverview(stats, alerts) {
  const data = obj(stats);
  keepFocus(() => {
    tiles(data);
    charts(data);
    activeAlerts(alerts);
    channels(data);
    nodes(data);
  });
  const node = str(data.node);
  $('overview-node').textContent = node ? 'answered by ' + node : '';
}

/** Re-renders without losing the keyboard focus of an element that is drawn again (same data-focus). */
function keepFocus(render) {
  const active = document.activeElement;
  const key = active && active.dataset ? active.dataset.focus : null;
  render();
  if (key) {
    const again = document.querySelector(`[data-focus="${CSS.escape(key)}"]`);
    if (again && again !== active) {
      again.focus();
    }
  }
}

function successTone(rate) {
  const r = num(rate);
  return r == null ? null : r >= 0.99 ? 'good' : r >= 0.9 ? 'warn' : 'bad';
}

function tile({key, label, value, sub, tone, href, title}) {
  const body = [
    h('div', {class: 'tile-label', text: label}),
    h('div', {class: 'tile-value', text: value}),
    h('div', {class: 'tile-sub', text: sub ?? ''}),
  ];
  const props = {class: ['tile', tone && 'tone-' + tone, href && 'tile-link'], data: {tile: key, focus: 'tile-' + key}, title};
  return href ? h('a', {...props, href}, body) : h('div', props, body);
}

function tiles(data) {
  const hasWindows = data.windows != null && typeof data.windows === 'object';
  const hour = obj(obj(data.windows).lastHour);
  const day = obj(obj(data.windows).last24h);
  const hasQueue = data.queue != null && typeof data.queue === 'object';
  const queueChannels = obj(obj(data.queue).channels);
  const waiting = {pending: 0, failed: 0, held: 0};
  for (const c of Object.values(queueChannels)) {
    for (const k of Object.keys(waiting)) {
      waiting[k] += num(obj(c)[k]) ?? 0;
    }
  }
  // "failed" in the windows counts attempts that failed and will be retried, "dead" those that failed
  // for good; the per-minute series counts both as failed. The tile shows both together, like the charts.
  const failedAttempts = w => num(w.failed) == null && num(w.dead) == null ? null : (num(w.failed) ?? 0) + (num(w.dead) ?? 0);
  const hourFailed = failedAttempts(hour);
  const deadBy = Object.entries(obj(data.deadByChannel)).filter(([, n]) => num(n) > 0).sort((a, b) => b[1] - a[1]);
  const list = [
    tile({key: 'ingested', label: 'Ingested · last hour', value: count(hour.ingested),
      sub: hasWindows ? '24 h: ' + count(day.ingested) : NOT_HERE}),
    tile({key: 'sent', label: 'Sent · last hour', value: count(hour.sent), tone: num(hour.sent) > 0 ? 'good' : null,
      sub: hasWindows ? '24 h: ' + count(day.sent) : NOT_HERE}),
    tile({key: 'failed', label: 'Failed attempts · last hour', value: count(hourFailed),
      tone: num(hour.dead) > 0 ? 'bad' : hourFailed > 0 ? 'warn' : null,
      title: 'Attempts that failed in the last hour: those to be retried and those that made a delivery dead '
        + '(the same count as "failed" in the charts)',
      sub: hasWindows ? `retrying ${count(hour.failed)} · dead ${count(hour.dead)} · 24 h: ${count(failedAttempts(day))}` : NOT_HERE}),
    tile({key: 'success', label: 'Success rate · last hour', value: percent(hour.successRate), tone: successTone(hour.successRate),
      sub: hasWindows ? '24 h: ' + percent(day.successRate) + (num(hour.successRate) == null ? ' · no delivery finished this hour' : '') : NOT_HERE}),
    tile({key: 'waiting', label: 'Waiting to be sent', value: hasQueue ? count(data.queue.total) : DASH,
      sub: hasQueue ? `pending ${count(waiting.pending)} · retrying ${count(waiting.failed)} · held ${count(waiting.held)}` : NOT_HERE,
      href: '#/deliveries?status=pending'}),
    oldestTile(data),
    tile({key: 'dead', label: 'Dead letter', value: count(data.dead), tone: num(data.dead) > 0 ? 'bad' : num(data.dead) === 0 ? 'good' : null,
      sub: !('dead' in data) ? NOT_HERE : deadBy.length ? deadBy.slice(0, 3).map(([c, n]) => c + ' ' + count(n)).join(' · ') : 'nothing needs a person',
      href: '#/deliveries?status=dead'}),
    tile({key: 'sockets', label: 'Open sockets', value: count(data.sockets),
      sub: Array.isArray(data.nodes) ? data.nodes.length + (data.nodes.length === 1 ? ' node' : ' nodes') : DASH}),
  ];
  $('tiles').replaceChildren(...list);
}

function oldestTile(data) {
  if (!('oldestWaiting' in data)) {
    return tile({key: 'oldest', label: 'Oldest waiting', value: DASH, sub: NOT_HERE});
  }
  const o = data.oldestWaiting;
  if (o == null || typeof o !== 'object') {
    return tile({key: 'oldest', label: 'Oldest waiting', value: 'none', tone: 'good', sub: 'nothing is waiting'});
  }
  const seconds = num(o.waitingSeconds);
  const link = str(o.id) ? '#/deliveries' + params({status: str(o.status), channel: str(o.channel), focus: str(o.id),
    notification: str(o.notificationId)}) : null;
  return tile({key: 'oldest', label: 'Oldest waiting', value: span(seconds),
    tone: seconds == null ? null : seconds > 3600 ? 'bad' : seconds > 300 ? 'warn' : null,
    sub: [str(o.channel), str(o.status), o.dueAt ? 'due ' + ago(o.dueAt) : null].filter(Boolean).join(' · ') || DASH,
    href: link, title: str(o.id) ? 'delivery ' + o.id : null});
}

function params(values) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) {
    if (v) {
      q.set(k, v);
    }
  }
  const text = q.toString();
  return text ? '?' + text : '';
}

// ---- charts ----

function charts(data) {
  const series = arr(data.series).map(obj);
  const throughput = $('throughput');
  const failure = $('failure-rate');
  if (!series.length) {
    const why = Array.isArray(data.series) ? 'no minutes recorded yet' : 'per-minute series: ' + NOT_HERE;
    for (const host of [throughput, failure]) {
      host.chartSpec = null;
      host.classList.add('chart-empty');
      host.replaceChildren(h('p', {class: 'empty', text: why}));
    }
    $('throughput-legend').replaceChildren();
    $('failure-legend').replaceChildren();
    return;
  }
  const times = series.map(e => date(e.at));
  const ingested = series.map(e => num(e.ingested));
  const sent = series.map(e => num(e.sent));
  const failed = series.map(e => num(e.failed));
  const sum = values => values.reduce((a, v) => a + (v ?? 0), 0);
  chart(throughput, {
    label: 'Notifications ingested, delivery attempts sent and failed (retrying or dead) per minute over the last hour',
    times, format: v => count(v), minStep: 1,
    series: [
      {name: 'ingested', cls: 's-ingested', values: ingested},
      {name: 'sent', cls: 's-sent', values: sent},
      {name: 'failed', cls: 's-failed', values: failed},
    ],
  });
  $('throughput-legend').replaceChildren(
    legend('s-ingested', 'ingested', sum(ingested)), legend('s-sent', 'sent', sum(sent)),
    legend('s-failed', 'failed', sum(failed), 'attempts that failed: to be retried, or dead'),
    h('span', {class: 'muted', text: 'per minute, last ' + series.length + ' min'}));
  const rates = series.map(e => {
    const ok = num(e.sent) ?? 0;
    const bad = num(e.failed) ?? 0;
    return ok + bad > 0 ? bad / (ok + bad) : null;
  });
  chart(failure, {
    label: 'Share of delivery attempts that failed, per minute over the last hour',
    times, area: true, cap: 1, minStep: 0.025, format: v => Math.round(v * 100) + ' %', tipFormat: v => percent(v),
    series: [{name: 'failed', cls: 's-failed', values: rates}],
  });
  const total = sum(sent) + sum(failed);
  $('failure-legend').replaceChildren(h('span', {
    class: 'muted', text: total ? `${count(sum(failed))} failed (retrying or dead) of ${count(total)} attempts · ${percent(sum(failed) / total)}`
      : 'no attempts in this hour'}));
}

function legend(cls, name, total, title) {
  return h('span', {class: 'legend-item', data: {series: name}, title},
    h('span', {class: 'swatch ' + cls}), name + ' ', h('b', {text: count(total)}));
}

// ---- alerts ----

function activeAlerts(alerts) {
  const host = $('alerts-active');
  const badge = $('alerts-count');
  if (!alerts) {
    host.replaceChildren(h('p', {class: 'muted', text: 'Loading…'}));
    return;
  }
  if (alerts.unavailable) {
    badge.textContent = '';
    host.replaceChildren(h('p', {class: 'empty', text: 'Alerts are ' + NOT_HERE + '.'}));
    return;
  }
  if (alerts.error) {
    host.replaceChildren(h('p', {class: 'empty error-text', text: 'Could not load the alerts: ' + alerts.error}));
    return;
  }
  const items = arr(alerts.items).map(obj).filter(a => a.status == null || a.status === 'active');
  badge.textContent = items.length ? String(items.length) : '';
  badge.className = 'count-badge' + (items.some(a => a.severity === 'critical') ? ' sev-critical' : items.length ? ' sev-warning' : '');
  if (!items.length) {
    host.replaceChildren(h('p', {class: 'empty good-text',
      text: 'No active alerts. The health monitor checks failures, failure rate, provider credentials and the backlog; '
        + 'what it finds shows up here and is sent to the admins.'}));
    return;
  }
  items.sort((a, b) => (a.severity === 'critical' ? 0 : 1) - (b.severity === 'critical' ? 0 : 1));
  host.replaceChildren(...items.map(alertCard));
}

/** One alert as a card; shared with the alerts view. */
export function alertCard(a) {
  const severity = a.severity === 'critical' || a.severity === 'warning' ? a.severity : 'info';
  const opened = date(a.openedAt);
  return h('article', {class: ['alert', 'sev-' + severity, a.status === 'resolved' && 'resolved'], data: {alertId: str(a.id)}},
    h('div', {class: 'alert-head'},
      h('span', {class: 'sev-badge', text: severity}),
      h('strong', {class: 'alert-title', text: str(a.title) ?? str(a.rule) ?? 'alert'}),
      str(a.channel) ? h('span', {class: 'chip', text: a.channel}) : null,
      a.status === 'resolved' ? h('span', {class: 'chip chip-good', text: 'resolved'}) : null),
    str(a.message) ? h('p', {class: 'alert-message', text: a.message}) : null,
    h('div', {class: 'alert-meta'},
      h('span', {}, 'since ', timeEl(a.openedAt), opened ? ' (' + span((Date.now() - opened.getTime()) / 1000) + ')' : ''),
      a.resolvedAt ? h('span', {}, 'resolved ', timeEl(a.resolvedAt)) : h('span', {text: 'last seen ' + ago(a.lastSeenAt)}),
      h('span', {text: a.notifiedAt ? 'admins notified ' + when(a.notifiedAt) : 'admins not notified yet'}),
      str(a.rule) ? h('span', {class: 'mono muted', text: a.rule}) : null));
}

// ---- channels ----

function channels(data) {
  const host = $('channels');
  const hour = obj(obj(obj(data.windows).lastHour).channels);
  const day = obj(obj(obj(data.windows).last24h).channels);
  const queue = obj(obj(data.queue).channels);
  const dead = obj(data.deadByChannel);
  const names = [...new Set([...Object.keys(hour), ...Object.keys(day), ...Object.keys(queue), ...Object.keys(dead)])]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  if (!('windows' in data) && !('queue' in data)) {
    host.replaceChildren(h('p', {class: 'empty', text: 'Per-channel totals and queue depths are ' + NOT_HERE + '.'}));
    return;
  }
  if (!names.length) {
    host.replaceChildren(h('p', {class: 'empty', text: 'No channel has had a delivery in the last 24 hours, and nothing is waiting.'}));
    return;
  }
  const head = h('thead', {},
    h('tr', {class: 'group'}, h('th'), h('th', {colspan: 5, text: 'Last hour'}), h('th', {text: '24 h'}),
      h('th', {colspan: 4, text: 'Waiting now'}), h('th', {text: 'Waiting by priority'}), h('th')),
    h('tr', {}, h('th', {text: 'Channel'}),
      ...[['attempts'], ['sent'], ['failed', 'failed, to be retried'], ['dead', 'failed for good: the delivery went dead'],
        ['success', 'sent of the attempts that ended']].map(([t, title]) => h('th', {class: 'num', text: t, title})),
      h('th', {class: 'num', text: 'success'}),
      ...['pending', 'sending', 'retrying', 'held'].map(t => h('th', {class: 'num', text: t})),
      h('th', {text: 'crit · high · norm · low', title: 'critical, high, normal, low'}), h('th', {class: 'num', text: 'dead'})));
  const rows = names.map(name => {
    const hr = obj(hour[name]);
    const q = obj(queue[name]);
    const by = obj(q.byPriority);
    const successCell = rate => h('td', {class: ['num', successTone(rate) && 'tone-' + successTone(rate)], text: percent(rate)});
    return h('tr', {data: {channel: name}},
      h('th', {scope: 'row'}, h('span', {class: 'chip', text: name})),
      h('td', {class: 'num', text: count(hr.attempts)}),
      h('td', {class: 'num', text: count(hr.sent)}),
      h('td', {class: ['num', num(hr.failed) > 0 && 'tone-warn'], text: count(hr.failed)}),
      h('td', {class: ['num', num(hr.dead) > 0 && 'tone-bad'], text: count(hr.dead)}),
      successCell(hr.successRate),
      successCell(obj(day[name]).successRate),
      h('td', {class: 'num', text: count(q.pending)}),
      h('td', {class: 'num', text: count(q.sending)}),
      h('td', {class: 'num', text: count(q.failed)}),
      h('td', {class: 'num', text: count(q.held)}),
      h('td', {}, priorityBar(by)),
      h('td', {class: 'num'}, num(dead[name]) > 0
        ? h('a', {href: '#/deliveries' + params({status: 'dead', channel: name}), class: 'tone-bad', data: {focus: 'dead-' + name},
          text: count(dead[name])})
        : count(dead[name])));
  });
  host.replaceChildren(h('table', {class: 'grid-table'}, head, h('tbody', {}, rows)));
}

function rank(channel) {
  const i = CHANNEL_ORDER.indexOf(channel);
  return i < 0 ? CHANNEL_ORDER.length : i;
}

/** The waiting rows of a channel by priority: a stacked bar and the four numbers. */
function priorityBar(by) {
  const values = PRIORITIES.map(p => num(by[p]));
  const total = values.reduce((a, v) => a + (v ?? 0), 0);
  if (values.every(v => v == null)) {
    return h('span', {class: 'muted', text: DASH});
  }
  const bar = h('span', {class: 'pbar', title: PRIORITIES.map((p, i) => p + ' ' + count(values[i])).join(', ')});
  PRIORITIES.forEach((p, i) => {
    if (values[i] > 0) {
      const seg = h('span', {class: 'pseg p-' + p});
      seg.style.flexGrow = String(values[i]);
      bar.append(seg);
    }
  });
  if (!total) {
    bar.classList.add('pbar-empty');
  }
  return h('span', {class: 'priority'}, bar,
    h('span', {class: 'pnums'}, ...PRIORITIES.map((p, i) => h('span', {class: 'p-' + p, data: {priority: p}, text: count(values[i])}))));
}

// ---- nodes ----

function nodes(data) {
  const host = $('nodes');
  const cluster = obj(data.cluster);
  const list = arr(data.nodes).map(obj);
  const summary = $('nodes-summary');
  summary.textContent = [
    list.length + (list.length === 1 ? ' node' : ' nodes'),
    count(data.sockets) + ' sockets',
    cluster.enabled === true ? 'cluster of ' + arr(cluster.members).length : cluster.enabled === false ? 'no cluster (single node)' : null,
  ].filter(Boolean).join(' · ');
  if (!list.length) {
    host.replaceChildren(h('p', {class: 'empty',
      text: 'No node has written a heartbeat in the last 15 seconds. A node that just started shows up within 5 seconds.'}));
    return;
  }
  list.sort((a, b) => (b.self === true) - (a.self === true) || String(a.id).localeCompare(String(b.id)));
  const head = h('thead', {}, h('tr', {},
    ...['Node', 'Address', 'Cluster', 'Sockets', 'Fan-out', 'State', 'Up since', 'Heartbeat']
      .map(t => h('th', {class: t === 'Sockets' ? 'num' : null, text: t}))));
  const rows = list.map(n => {
    const fanout = obj(n.fanout);
    const redis = str(fanout.redis);
    return h('tr', {data: {nodeId: str(n.id)}, class: n.self === true ? 'self' : null},
      h('th', {scope: 'row'}, h('span', {class: 'mono', text: str(n.id) ?? DASH}),
        n.self === true ? h('span', {class: 'chip chip-accent self-badge', text: 'this node', title: 'the node that answered'}) : null),
      h('td', {class: 'mono', text: str(n.address) ?? DASH}),
      h('td', {class: 'nowrap'}, clusterCell(n, cluster)),
      h('td', {class: 'num sockets', text: count(n.sockets)}),
      h('td', {class: 'nowrap'},
        h('span', {text: str(fanout.mode) ?? DASH}), redis ? ' ' : null,
        redis ? h('span', {class: ['chip', redis === 'up' ? 'chip-good' : 'chip-bad'], text: redis,
          title: fanout.downSince ? 'down since ' + fanout.downSince : null}) : null,
        num(fanout.channels) != null ? h('span', {class: 'muted', text: ' ' + count(fanout.channels) + ' ch'}) : null),
      h('td', {}, n.draining === true ? h('span', {class: 'chip chip-warn draining', text: 'draining'})
        : h('span', {class: 'chip chip-good', text: 'serving'})),
      h('td', {}, timeEl(n.startedAt, ago(n.startedAt).replace(' ago', ''))),
      h('td', {}, timeEl(n.seenAt, ago(n.seenAt))));
  });
  host.replaceChildren(h('table', {class: 'grid-table'}, head, h('tbody', {}, rows)));
}

function clusterCell(n, cluster) {
  if (cluster.enabled === false || (!n.clusterMember && cluster.enabled !== true)) {
    return h('span', {class: 'muted', text: 'standalone'});
  }
  const member = str(n.clusterMember);
  const shortMember = member ? member.slice(0, 8) : DASH;
  if (n.inCluster === false) {
    return h('span', {}, h('span', {class: 'chip chip-bad', text: 'not in cluster', title: 'member ' + (member ?? '?')}));
  }
  return h('span', {title: member ? 'member ' + member : null},
    h('span', {class: 'chip chip-good', text: n.inCluster === true ? 'member' : 'cluster'}), ' ', h('span', {class: 'mono muted', text: shortMember}));
}
