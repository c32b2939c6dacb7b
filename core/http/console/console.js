// pxehub console: keeps the server-rendered page live from the JSON API
// and the event stream.  Every value from the server goes into the page as
// text (textContent, never innerHTML): client facts are hostile.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  // seconds without progress before a boot stands out ([http] stuck_after)
  // (the script is deferred: the body is there)
  const STUCK = parseFloat(document.body.getAttribute('data-stuck')) || 30;

  // el('td', {class: 'x'}, 'text', child, ...): an element with text children
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null) e.setAttribute(k, String(v));
    }
    for (const k of kids) {
      if (k === undefined || k === null) continue;
      e.append(k instanceof Node ? k : String(k));
    }
    return e;
  }

  function size(b) {
    if (b === undefined || b === null) return '';
    if (b >= 1 << 30) return (b / (1 << 30)).toFixed(1) + ' GiB';
    if (b >= 1 << 20) return (b / (1 << 20)).toFixed(1) + ' MiB';
    if (b >= 1 << 10) return (b / (1 << 10)).toFixed(1) + ' KiB';
    return b + ' B';
  }

  function span(s) {
    s = Math.max(0, Math.round(s));
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min';
    if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
    return Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h';
  }

  function ago(t) {
    const s = Date.now() / 1000 - t;
    return s < 5 ? 'just now' : span(s) + ' ago';
  }

  // "2 min ago", the local date and time on hover
  function timeEl(t) {
    const d = new Date(t * 1000);
    const e = el('time', { datetime: d.toISOString(), 'data-t': t, title: d.toLocaleString() }, ago(t));
    return e;
  }

  function refreshTimes() {
    for (const e of document.querySelectorAll('time[data-t]')) {
      const t = parseFloat(e.getAttribute('data-t'));
      if (!t) continue;
      e.textContent = ago(t);
      e.title = new Date(t * 1000).toLocaleString();
    }
  }

  async function getJSON(url) {
    const r = await fetch(url, { cache: 'no-store', credentials: 'same-origin' });
    if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
    return r.json();
  }

  function fill(tbody, rows) {
    tbody.replaceChildren(...rows);
  }

  const PHASES = {
    dhcp: 'DHCP offer', decision: 'decision', loader: 'loader download',
    script: 'boot script', image: 'image download', booted: 'booted',
    report: 'reporting', other: 'other',
  };

  // ---- Now ------------------------------------------------------------------
  async function refreshNow() {
    const j = await getJSON('/api/v1/now?stuck=' + STUCK);
    const rows = j.machines.map((m) => {
      const x = m.transfer;
      let phase = PHASES[m.phase] || m.phase;
      if (m.phase === 'script') phase = (m.boot_program === 'grub' ? 'GRUB' : 'iPXE') + ' script';
      const file = x ? x.file : (m.last && m.last.file) || '';
      const prog = x
        ? el('span', {}, el('progress', { value: x.done, max: x.size || 1 }), ' ',
          size(x.done) + ' of ' + size(x.size))
        : '';
      const tr = el('tr', { 'data-mac': m.mac, class: m.stuck ? 'stuck' : m.done ? 'done' : null },
        el('td', {}, el('a', { class: 'mac', href: '#story=' + m.mac }, m.mac || '(unknown)'),
          m.serial ? el('div', { class: 'mono' }, m.serial) : null),
        el('td', {}, m.ip || ''),
        el('td', {}, phase, ' ', m.stuck ? el('span', { class: 'badge stuck' }, 'stuck') : null,
          x ? el('span', { class: 'badge warn' }, x.proto) : null),
        el('td', { class: 'mono' }, file),
        el('td', { class: 'progress' }, prog),
        el('td', {}, x && x.rate ? size(x.rate) + '/s' : ''),
        el('td', {}, span(m.idle_seconds)));
      return tr;
    });
    fill($('now-table').tBodies[0], rows);
    $('now-empty').hidden = rows.length > 0;
  }

  // ---- Machines -----------------------------------------------------------------
  let machines = [];

  function machineRow(c) {
    return el('tr', { 'data-mac': c.mac },
      el('td', {}, el('a', { class: 'mac', href: '#story=' + c.mac }, c.mac)),
      el('td', {}, c.ip || ''), el('td', {}, c.arch || ''),
      el('td', { class: 'serial' }, c.serial || ''), el('td', { class: 'uuid' }, c.uuid || ''),
      el('td', {}, c.verdict || ''), el('td', {}, c.decided_by || ''),
      el('td', {}, timeEl(c.last_seen)));
  }

  function applyFilter() {
    const q = $('filter').value.trim().toLowerCase();
    const keys = ['mac', 'uuid', 'serial', 'asset', 'ip', 'arch', 'verdict', 'decided_by'];
    const shown = machines.filter((c) => !q || keys.some((k) => String(c[k] || '').toLowerCase().includes(q)));
    fill($('machines-table').tBodies[0], shown.map(machineRow));
    $('machines-count').textContent = shown.length + ' of ' + machines.length;
  }

  async function refreshMachines() {
    const j = await getJSON('/api/v1/clients?steps=no');
    machines = j.clients;
    applyFilter();
  }

  // ---- a machine's story ---------------------------------------------------------
  async function showStory(mac, scroll) {
    $('story').hidden = false;
    $('story-mac').textContent = mac;
    const body = $('story-body');
    let s;
    try {
      s = await getJSON('/api/v1/clients/' + encodeURIComponent(mac));
    } catch (e) {
      body.replaceChildren(el('p', { class: 'bad' }, 'Not known here: ' + e.message));
      return;
    }
    const facts = el('dl', { id: 'story-facts' });
    for (const k of ['ip', 'arch', 'uuid', 'manufacturer', 'product', 'serial', 'asset', 'relay',
      'interface', 'boot_program', 'loader']) {
      if (s[k]) facts.append(el('dt', {}, k), el('dd', { class: 'mono' }, s[k]));
    }
    const boots = s.boots.map((b, i) => {
      const d = b.decision;
      const phases = el('table', { class: 'phases' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Phase'), el('th', {}, 'Started'), el('th', {}, 'Took'))),
        el('tbody', {}, ...b.phases.map((p) => el('tr', {}, el('td', {}, PHASES[p.phase] || p.phase),
          el('td', {}, '+' + (p.start - b.start).toFixed(3) + ' s'), el('td', {}, (p.ms / 1000).toFixed(3) + ' s')))));
      const downloads = el('table', { class: 'downloads' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Download'), el('th', {}, 'Via'), el('th', {}, 'Size'),
          el('th', {}, 'Took'), el('th', {}, 'Rate'), el('th', {}, 'Result'))),
        el('tbody', {}, ...b.downloads.map((x) => el('tr', {}, el('td', { class: 'mono' }, x.file),
          el('td', {}, x.proto), el('td', {}, size(x.bytes)), el('td', {}, (x.duration_ms / 1000).toFixed(2) + ' s'),
          el('td', {}, x.duration_ms > 0 ? size(x.bytes / (x.duration_ms / 1000)) + '/s' : ''),
          el('td', {}, x.result)))));
      const steps = el('ol', { class: 'steps' }, ...b.steps.map((x) => el('li', { 'data-event': x.event },
        '+' + (x.time - b.start).toFixed(3) + ' s ', x.event, ' ', x.action || '',
        x.file ? ' ' + x.file : '', x.bytes ? ' ' + size(x.bytes) : '',
        x.duration_ms ? ' in ' + (x.duration_ms / 1000).toFixed(2) + ' s' : '',
        x.plugin ? ' by ' + x.plugin : '', x.message ? ' (' + x.message + ')' : '')));
      return el('div', { class: 'boot' },
        el('h3', {}, 'Boot ' + (i + 1) + ', ', timeEl(b.start), ', ' + (b.end - b.start).toFixed(1) + ' s'),
        d ? el('p', { class: 'decision' }, 'Decision: ', el('b', {}, d.verdict), ' by ',
          el('b', {}, d.plugin || '(none)'), d.reason ? ': ' + d.reason : '') : el('p', {}, 'No decision yet.'),
        phases, b.downloads.length ? downloads : null, el('h4', {}, 'Every event'), steps);
    });
    body.replaceChildren(facts, ...boots);
    if (scroll) $('story').scrollIntoView();
  }

  function route() {
    const m = /^#story=(.+)$/.exec(location.hash);
    if (m) showStory(decodeURIComponent(m[1]), true).catch(report);
    else $('story').hidden = true;
  }

  // ---- Health ---------------------------------------------------------------------
  function pluginState(figs) {
    for (const [k, v] of Object.entries(figs || {})) {
      if (/(_down|^all_down)$/.test(k) && typeof v === 'number' && v > 0 && k !== 'all_down') return ['down', k + ' ' + v];
      if (/(^|_)(state|status)$/.test(k) && typeof v === 'string' && /down|error|fail/i.test(v)) return ['down', k + ' ' + v];
      if (/last_error$/.test(k) && typeof v === 'string' && v) return ['warn', v];
    }
    return ['up', 'ok'];
  }

  async function refreshHealth() {
    const s = await getJSON('/api/v1/status');
    $('uptime').textContent = span(s.uptime_seconds);
    const rows = s.plugins.map((p) => {
      const figs = (s.plugin_reports || {})[p.name] || {};
      const [st, why] = pluginState(figs);
      return el('tr', { 'data-plugin': p.name, 'data-state': st },
        el('td', {}, p.name), el('td', {}, p.version), el('td', {}, p.priority),
        el('td', { class: 'figures' }, el('span', { class: 'badge ' + st, title: why }, st === 'up' ? 'ok' : st), ' ',
          ...Object.entries(figs).map(([k, v]) => el('span', { class: 'fig', 'data-fig': k }, k + ' ',
            el('b', {}, typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : v)))));
    });
    fill($('plugins-table').tBodies[0], rows);
    if (s.listening) {
      fill($('sockets-table').tBodies[0], s.listening.map((l) =>
        el('tr', {}, el('td', {}, l.proto), el('td', {}, l.address), el('td', {}, l.port))));
    }
  }

  // ---- Numbers ----------------------------------------------------------------------
  // Charts: per-interval differences of cumulative counters, summed by group.
  const CHARTS = [
    ['DHCP offers', (n) => n === 'pxehub_dhcp_offers_total', ''],
    ['Downloads (TFTP and HTTP)', (n) => n === 'pxehub_events_total{kind="tftp_end"}' ||
      n === 'pxehub_events_total{kind="download_end"}', ''],
    ['Bytes sent', (n) => n === 'pxehub_tftp_bytes_total' || n === 'pxehub_http_sent_bytes_total', 'bytes'],
    ['Boot scripts', (n) => n === 'pxehub_http_scripts_total', ''],
    ['Errors and refusals', (n) => n.startsWith('pxehub_http_rejected_total') ||
      n === 'pxehub_decision_timeouts_total' || n === 'pxehub_events_dropped_total' ||
      n === 'pxehub_event_stream_dropped_total', ''],
  ];

  function deltas(vals) {
    const d = [];
    for (let i = 1; i < vals.length; i++) d.push(Math.max(0, vals[i] - vals[i - 1]));
    return d;
  }

  function chart(title, series, unit, interval) {
    const n = series.length ? series[0].length : 0;
    const sum = new Array(n).fill(0);
    for (const s of series) s.forEach((v, i) => { sum[i] += v; });
    const max = Math.max(1, ...sum);
    const NS = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 300 70');
    svg.setAttribute('preserveAspectRatio', 'none');
    const line = document.createElementNS(NS, 'polyline');
    const pts = sum.map((v, i) => ((n > 1 ? i / (n - 1) : 1) * 300).toFixed(1) + ',' + (68 - (v / max) * 64).toFixed(1));
    if (pts.length === 1) pts.unshift('0,' + pts[0].split(',')[1]);
    line.setAttribute('points', pts.join(' '));
    svg.append(line);
    const total = sum.reduce((a, b) => a + b, 0);
    const show = (v) => (unit === 'bytes' ? size(v) : String(v));
    return el('div', { class: 'chart' }, el('h4', {}, title), svg,
      el('div', { class: 'legend' }, 'last ' + span(n * interval) + ': ' + show(total) +
        ', peak ' + show(Math.max(0, ...sum)) + ' per ' + interval + ' s'));
  }

  async function refreshNumbers() {
    const j = await getJSON('/api/v1/series');
    const names = Object.keys(j.series).sort();
    const charts = CHARTS.map(([title, pick, unit]) =>
      chart(title, names.filter(pick).map((n) => deltas(j.series[n])), unit, j.interval));
    // decisions by verdict (and plugin): one chart per verdict
    const byVerdict = {};
    for (const n of names) {
      const m = /^pxehub_decisions_total\{.*result="([^"]*)".*\}$/.exec(n);
      if (m) (byVerdict[m[1]] = byVerdict[m[1]] || []).push(deltas(j.series[n]));
    }
    for (const [v, s] of Object.entries(byVerdict)) charts.push(chart('Decisions: ' + v, s, '', j.interval));
    $('charts').replaceChildren(...charts);
    fill($('numbers-table').tBodies[0], names.map((n) => {
      const v = j.series[n];
      const last = v.length ? v[v.length - 1] : 0;
      return el('tr', {}, el('td', { class: 'mono' }, n), el('td', {}, last),
        el('td', {}, v.length ? last - v[0] : 0));
    }));
  }

  // ---- the live stream --------------------------------------------------------------
  let dirty = false;

  function live() {
    if (!window.EventSource) return;
    const es = new EventSource('/api/v1/events');
    es.onopen = () => { $('live').textContent = 'live'; $('live').className = 'on'; };
    es.onerror = () => { $('live').textContent = 'reconnecting'; $('live').className = 'lost'; };
    es.onmessage = (m) => {
      const e = JSON.parse(m.data);
      const list = $('events');
      list.prepend(el('li', { 'data-event': e.event },
        new Date(e.time * 1000).toLocaleTimeString(), ' ', e.mac || e.ip || '-', ' ', e.event, ' ',
        e.action || '', e.file ? ' ' + e.file : '', e.bytes ? ' ' + size(e.bytes) : '',
        e.plugin ? ' by ' + e.plugin : ''));
      while (list.children.length > 50) list.lastChild.remove();
      dirty = true;
    };
    es.addEventListener('dropped', (m) => {
      const d = JSON.parse(m.data);
      $('events').prepend(el('li', { class: 'bad' }, d.dropped + ' events dropped (this page read too slowly)'));
    });
  }

  // ---- errors are shown, not thrown ------------------------------------------------
  function report(e) {
    $('live').textContent = String(e.message || e);
    $('live').className = 'lost';
  }

  function every(ms, fn) {
    const run = () => fn().catch(report);
    run();
    return setInterval(run, ms);
  }

  document.addEventListener('DOMContentLoaded', () => {
    if (!$('now-table')) return; // the sign-in page: nothing to keep live
    $('filter').addEventListener('input', applyFilter);
    $('story-close').addEventListener('click', () => { $('story').hidden = true; });
    window.addEventListener('hashchange', route);
    every(1000, refreshNow);
    every(5000, refreshHealth);
    every(5000, refreshNumbers);
    refreshMachines().catch(report);
    // machines change with events: at most once a second
    setInterval(() => {
      if (dirty) {
        dirty = false;
        refreshMachines().catch(report);
        const m = /^#story=(.+)$/.exec(location.hash);
        if (m && !$('story').hidden) showStory(decodeURIComponent(m[1])).catch(report);
      }
      refreshTimes();
    }, 1000);
    route();
    live();
  });
}());
