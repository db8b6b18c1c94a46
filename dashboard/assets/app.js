// redhot dashboard: reads /api/v1/snapshot once (with the rate histories),
// then follows /api/v1/stream (Server-Sent Events, one document per
// sample without histories) and extends the histories itself. When a
// sample is missed (a gap in seq) or the stream reconnects, it reads the
// snapshot again. Charts are drawn on canvases; no libraries.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const CHARTS_MAX = 6;
  const HOT = "#ff5a36", COOL = "#4aa8ff", GRID = "#2a313c", MUTED = "#8b95a3";

  // state.times: sample times (ms), oldest first; state.series: id →
  // rates aligned with times; state.doc: the last document.
  const state = { seq: 0, times: [], series: new Map(), lastSeen: new Map(), doc: null, maxLen: 300, loading: false };

  const keyId = (k) => (k.key_base64 ? "b64:" + k.key_base64 : "s:" + k.key) + (k.truncated ? "…" : "");

  // Keys are shown as redis-cli shows them: printable text as is, others
  // quoted with escapes, so a key cannot break the layout.
  function showKey(k) {
    let s = k.key;
    if (!k.key_base64 && /^[\x21-\x7e\u00a0-\uffff]+$/.test(s) && !/["'\\]/.test(s)) {
      return s + (k.truncated ? "…" : "");
    }
    if (k.key_base64) {
      const bytes = atob(k.key_base64);
      s = "";
      for (let i = 0; i < bytes.length; i++) {
        const c = bytes.charCodeAt(i);
        s += c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? bytes[i] : "\\x" + c.toString(16).padStart(2, "0");
      }
    } else {
      s = s.replace(/[\\"]/g, (c) => "\\" + c).replace(/[\x00-\x1f\x7f]/g, (c) => {
        const m = { "\n": "\\n", "\r": "\\r", "\t": "\\t" }[c];
        return m || "\\x" + c.charCodeAt(0).toString(16).padStart(2, "0");
      });
    }
    return '"' + s + '"' + (k.truncated ? "…" : "");
  }

  function human(v) {
    const a = Math.abs(v);
    if (a >= 1e9) return trim((v / 1e9).toFixed(2)) + "G";
    if (a >= 1e6) return trim((v / 1e6).toFixed(2)) + "M";
    if (a >= 1e3) return trim((v / 1e3).toFixed(1)) + "k";
    if (a >= 100 || v === Math.trunc(v)) return v.toFixed(0);
    return trim(v.toFixed(1));
  }
  function trim(s) { return s.indexOf(".") >= 0 ? s.replace(/\.?0+$/, "") : s; }
  function pct(f) { return trim((100 * f).toFixed(f < 0.1 ? 2 : 1)) + "%"; }
  function bytes(n) {
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 || n >= 100 ? n.toFixed(0) : trim(n.toFixed(1))) + " " + u[i];
  }
  function clock(t) {
    const d = new Date(t);
    return [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, "0")).join(":");
  }
  function dur(s) {
    if (s < 1) return "<1s";
    if (s < 90) return Math.round(s) + "s";
    if (s < 5400) return Math.round(s / 60) + "m";
    return trim((s / 3600).toFixed(1)) + "h";
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // ---- data ----------------------------------------------------------

  function applyFull(doc) {
    state.doc = doc;
    state.seq = doc.seq;
    state.times = (doc.history_times || []).slice();
    state.maxLen = Math.max(state.maxLen, state.times.length);
    state.series = new Map();
    state.lastSeen = new Map();
    for (const k of doc.keys) {
      const h = (k.history || []).slice();
      while (h.length < state.times.length) h.unshift(0);
      state.series.set(keyId(k), h);
      state.lastSeen.set(keyId(k), doc.seq);
    }
  }

  function applySample(doc) {
    state.doc = doc;
    state.seq = doc.seq;
    state.times.push(Date.parse(doc.at));
    const seen = new Set();
    for (const k of doc.keys) {
      const id = keyId(k);
      seen.add(id);
      state.lastSeen.set(id, doc.seq);
      let h = state.series.get(id);
      if (!h) {
        h = new Array(state.times.length - 1).fill(0);
        state.series.set(id, h);
      }
      h.push(k.rate);
    }
    // A key not listed has at most the lowest listed rate (history_floor),
    // as the server records it.
    for (const [id, h] of state.series) {
      if (!seen.has(id)) h.push(Math.min(h.length ? h[h.length - 1] : 0, doc.history_floor || 0));
    }
    if (state.times.length > state.maxLen) {
      const cut = state.times.length - state.maxLen;
      state.times.splice(0, cut);
      for (const [id, h] of state.series) {
        h.splice(0, cut);
        if (doc.seq - (state.lastSeen.get(id) || 0) >= state.maxLen) {
          state.series.delete(id);
          state.lastSeen.delete(id);
        }
      }
    }
  }

  async function loadSnapshot() {
    if (state.loading) return;
    state.loading = true;
    try {
      const r = await fetch("/api/v1/snapshot", { cache: "no-store", credentials: "same-origin" });
      if (!r.ok) {
        setStatus("down", r.status === 401 ? "token required" : "error " + r.status);
        return;
      }
      applyFull(await r.json());
      render();
    } catch (e) {
      setStatus("down", "disconnected");
    } finally {
      state.loading = false;
    }
  }

  function connect() {
    const es = new EventSource("/api/v1/stream");
    es.addEventListener("open", () => {
      setStatus("live", "live");
      loadSnapshot();
    });
    es.addEventListener("sample", (ev) => {
      let doc;
      try { doc = JSON.parse(ev.data); } catch (e) { return; }
      if (state.doc && doc.seq === state.seq + 1) {
        applySample(doc);
        render();
      } else if (!state.doc || doc.seq > state.seq) {
        loadSnapshot();
      }
      setStatus("live", "live · " + clock(Date.parse(doc.at)));
    });
    es.addEventListener("error", () => setStatus("down", "reconnecting…"));
  }

  function setStatus(kind, text) {
    const s = $("status");
    s.className = "status " + kind;
    $("status-text").textContent = text;
  }

  // ---- rendering -----------------------------------------------------

  function render() {
    const d = state.doc;
    if (!d) return;
    document.title = (d.hot_keys > 0 ? "(" + d.hot_keys + " hot) " : "") + "redhot";
    $("title").textContent = d.title;
    renderCards(d);
    renderKeys(d);
    renderEvents(d);
    renderCharts(d);
    renderNodes(d);
    renderFleet(d);
    renderNearCache(d);
  }

  function renderCards(d) {
    const t = d.totals;
    $("c-rate").textContent = human(t.rate);
    $("c-rate").appendChild(el("small", "", "ops/s"));
    const rs = t.rate > 0 ? t.read_rate / t.rate : 0;
    $("c-split-r").style.width = (100 * rs).toFixed(1) + "%";
    $("c-split-w").style.width = (t.rate > 0 ? 100 * (t.write_rate / t.rate) : 0).toFixed(1) + "%";
    $("c-rw").textContent = "reads " + human(t.read_rate) + " · writes " + human(t.write_rate) + " (" + d.source + ")";
    $("c-hot").textContent = String(d.hot_keys);
    $("c-hot").className = "big" + (d.hot_keys > 0 ? " hot" : "");
    const hottest = d.keys.find((k) => k.hot);
    $("c-hot-sub").textContent = hottest ? "hottest: " + showKey(hottest) : "no key meets the hot rules";
    if (d.fleet) {
      $("c-inst").textContent = String(d.fleet.instances.length);
      $("c-inst-sub").textContent = "stream " + d.fleet.stream;
    } else {
      $("c-inst").textContent = "–";
      $("c-inst-sub").textContent = "source is not a fleet";
    }
    if (d.nodes && d.nodes.nodes.length) {
      const n = d.nodes.nodes;
      const prim = n.filter((x) => x.role === "primary").length;
      $("c-nodes").textContent = String(n.length);
      const flagged = n.filter((x) => x.flags && x.flags.length).length;
      $("c-nodes-sub").textContent = prim + " primar" + (prim === 1 ? "y" : "ies") + (flagged ? " · " + flagged + " over 2× mean" : " · balanced");
    } else {
      $("c-nodes").textContent = "–";
      $("c-nodes-sub").textContent = d.nodes ? (d.nodes.error || "measuring…") : "not measured";
    }
  }

  function sparkline(values) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 84 22");
    svg.setAttribute("preserveAspectRatio", "none");
    const v = values.slice(-40);
    const mx = Math.max(1e-9, ...v);
    const pts = v.map((y, i) => {
      const x = v.length > 1 ? (i * 84) / (v.length - 1) : 84;
      return x.toFixed(1) + "," + (20 - (y / mx) * 18).toFixed(1);
    });
    if (pts.length === 1) pts.unshift("0," + pts[0].split(",")[1]);
    const pl = document.createElementNS(ns, "polyline");
    pl.setAttribute("points", pts.join(" "));
    svg.appendChild(pl);
    return svg;
  }

  function statusCell(k, at) {
    const td = el("td");
    if (k.hot) {
      td.appendChild(el("span", "badge hot", "HOT"));
      if (k.hot_since) td.appendChild(el("span", "since", dur(Math.max(0, (at - Date.parse(k.hot_since)) / 1000))));
    } else if (k.cooled_at) {
      td.appendChild(el("span", "badge cooled", "cooled"));
      td.appendChild(el("span", "since", dur(Math.max(0, (at - Date.parse(k.cooled_at)) / 1000)) + " ago"));
    } else {
      td.appendChild(el("span", "muted", "–"));
    }
    return td;
  }

  function renderKeys(d) {
    const tb = $("keys").tBodies[0];
    const at = Date.parse(d.at);
    const rows = [];
    const maxShare = Math.max(0.0001, ...d.keys.map((k) => k.share));
    for (const k of d.keys) {
      const tr = el("tr", k.hot ? "is-hot" : "");
      tr.dataset.key = k.key;
      tr.appendChild(el("td", "num muted", String(k.rank)));
      const kc = el("td", "key", showKey(k));
      kc.title = showKey(k);
      tr.appendChild(kc);
      tr.appendChild(el("td", "num", human(k.rate)));
      tr.appendChild(el("td", "num", human(k.read_rate)));
      tr.appendChild(el("td", "num", human(k.write_rate)));
      const sh = el("td");
      const shw = el("div", "share");
      const bar = el("div", "bar");
      const fill = el("i");
      fill.style.width = Math.min(100, (100 * k.share) / maxShare).toFixed(1) + "%";
      bar.appendChild(fill);
      shw.appendChild(bar);
      shw.appendChild(el("span", "", pct(k.share)));
      sh.appendChild(shw);
      tr.appendChild(sh);
      const tc = el("td");
      const tw = el("div", "trend");
      tw.appendChild(sparkline(state.series.get(keyId(k)) || [k.rate]));
      tw.appendChild(el("span", "arrow " + k.trend, k.trend === "up" ? "↑" : k.trend === "down" ? "↓" : "→"));
      tc.appendChild(tw);
      tr.appendChild(tc);
      tr.appendChild(statusCell(k, at));
      rows.push(tr);
    }
    tb.replaceChildren(...rows);
    const empty = $("keys-empty");
    empty.hidden = d.keys.length > 0;
    if (!d.keys.length) {
      empty.textContent = d.fleet
        ? "No key traffic in the fleet stream " + d.fleet.stream + " yet: instances publish there with fleet.Join(ctx, client, tracker, fleet.Options{}) and the same Stream."
        : "No key traffic seen yet.";
    }
    $("keys-hint").textContent = d.keys.length ? "top " + d.keys.length + " by rate" : "";
  }

  function renderEvents(d) {
    const list = $("events");
    const items = [];
    const evs = d.events.slice().reverse();
    for (const e of evs.slice(0, 60)) {
      const li = el("li");
      const t = el("time", "", clock(Date.parse(e.at)));
      t.dateTime = e.at;
      li.appendChild(t);
      const b = el("span", "badge " + (e.kind === "hot" ? "hot" : "cooled"), e.kind === "hot" ? "HOT" : "cooled");
      const bw = el("span");
      bw.appendChild(b);
      li.appendChild(bw);
      const w = el("span", "what");
      w.appendChild(el("span", "k", showKey(e)));
      const detail = e.kind === "hot"
        ? human(e.rate) + " ops/s · " + pct(e.share) + " of traffic"
        : "after " + dur(e.hot_for_seconds || 0) + " hot" + (e.rate > 0 ? " · now " + human(e.rate) + " ops/s" : "");
      w.appendChild(el("span", "d", detail));
      li.appendChild(w);
      items.push(li);
    }
    list.replaceChildren(...items);
    $("events-empty").hidden = d.events.length > 0;
    drawSpans(d);
  }

  // hotSpans returns, for each key with events, its hot periods within
  // [t0, t1] as [start, end] pairs.
  function hotSpans(d, t0, t1) {
    const open = new Map(), spans = new Map(), names = new Map();
    for (const e of d.events) {
      const id = keyId(e), at = Date.parse(e.at);
      names.set(id, e);
      if (e.kind === "hot") {
        open.set(id, at);
      } else {
        const start = open.has(id) ? open.get(id) : at - 1000 * (e.hot_for_seconds || 0);
        open.delete(id);
        if (!spans.has(id)) spans.set(id, []);
        spans.get(id).push([start, at]);
      }
    }
    for (const [id, start] of open) {
      if (!spans.has(id)) spans.set(id, []);
      spans.get(id).push([start, t1]);
    }
    // Rows with the latest change first: a key that just turned hot or
    // cooled before one that has been hot all along.
    const out = [];
    for (const [id, list] of spans) {
      const vis = list.filter(([a, b]) => b >= t0 && a <= t1);
      if (vis.length) out.push({ id, key: names.get(id), spans: vis, last: Math.max(...vis.map(([a, b]) => (b >= t1 ? a : b))) });
    }
    out.sort((a, b) => b.last - a.last);
    return out;
  }

  function setupCanvas(c, cssHeight) {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(50, c.clientWidth);
    c.style.height = cssHeight + "px";
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(cssHeight * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(cssHeight * dpr);
    }
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, cssHeight);
    return { g, w, h: cssHeight };
  }

  function drawSpans(d) {
    const c = $("spans");
    const t1 = Date.parse(d.at);
    const t0 = state.times.length ? Math.min(state.times[0], t1 - 60000) : t1 - 60000;
    const rows = hotSpans(d, t0, t1).slice(0, 6);
    if (!rows.length) {
      c.hidden = true;
      return;
    }
    c.hidden = false;
    const rowH = 18, top = 4, axis = 16;
    const { g, w, h } = setupCanvas(c, top + rows.length * rowH + axis);
    const labelW = Math.min(150, w * 0.38);
    const x = (t) => labelW + ((t - t0) / Math.max(1, t1 - t0)) * (w - labelW - 4);
    g.font = "11.5px ui-monospace, monospace";
    g.textBaseline = "middle";
    rows.forEach((r, i) => {
      const y = top + i * rowH;
      g.fillStyle = MUTED;
      let name = showKey(r.key);
      while (name.length > 3 && g.measureText(name).width > labelW - 8) name = name.slice(0, -2) + "…";
      g.fillText(name, 0, y + rowH / 2);
      g.fillStyle = "#1c222b";
      g.fillRect(labelW, y + 3, w - labelW - 4, rowH - 6);
      g.fillStyle = HOT;
      for (const [a, b] of r.spans) {
        const xa = Math.max(labelW, x(a)), xb = Math.max(xa + 2, x(b));
        g.fillRect(xa, y + 3, xb - xa, rowH - 6);
      }
    });
    g.fillStyle = MUTED;
    g.textBaseline = "alphabetic";
    g.textAlign = "left";
    g.fillText("−" + dur((t1 - t0) / 1000), labelW, h - 3);
    g.textAlign = "right";
    g.fillText("now", w - 4, h - 3);
    g.textAlign = "left";
  }

  // chartKeys picks the keys to chart: the hot ones, then the hottest of
  // the rest, at most CHARTS_MAX.
  function chartKeys(d) {
    const hot = d.keys.filter((k) => k.hot);
    const rest = d.keys.filter((k) => !k.hot);
    return hot.concat(rest).slice(0, Math.max(hot.length, CHARTS_MAX));
  }

  const chartEls = new Map();

  function renderCharts(d) {
    const box = $("charts");
    const keys = chartKeys(d);
    const want = new Set(keys.map(keyId));
    for (const [id, card] of chartEls) {
      if (!want.has(id)) {
        card.remove();
        chartEls.delete(id);
      }
    }
    const spans = new Map(hotSpans(d, -Infinity, Date.parse(d.at)).map((r) => [r.id, r.spans]));
    keys.forEach((k, i) => {
      const id = keyId(k);
      let card = chartEls.get(id);
      if (!card) {
        card = el("div", "chart");
        const hd = el("header");
        hd.appendChild(el("span", "k"));
        hd.appendChild(el("span", "badge hot", "HOT"));
        hd.appendChild(el("span", "v"));
        card.appendChild(hd);
        card.appendChild(el("canvas"));
        chartEls.set(id, card);
      }
      if (box.children[i] !== card) box.insertBefore(card, box.children[i] || null);
      card.className = "chart" + (k.hot ? " is-hot" : "");
      card.dataset.key = k.key;
      card.querySelector(".k").textContent = showKey(k);
      card.querySelector(".k").title = showKey(k);
      card.querySelector(".badge").hidden = !k.hot;
      card.querySelector(".v").textContent = human(k.rate) + " ops/s";
      drawChart(card.querySelector("canvas"), state.series.get(id) || [], k.hot, spans.get(id) || [], keys.length > CHARTS_MAX ? 90 : 130);
    });
    box.classList.toggle("many", keys.length > CHARTS_MAX);
    $("charts-empty").hidden = keys.length > 0;
    const nh = keys.filter((k) => k.hot).length;
    $("charts-hint").textContent = keys.length
      ? (nh ? nh + " hot key" + (nh > 1 ? "s" : "") : "no hot key; the hottest") + " · last " + dur(state.times.length > 1 ? (state.times[state.times.length - 1] - state.times[0]) / 1000 : 0)
      : "";
  }

  function niceMax(v) {
    if (v <= 0) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
      if (m * p >= v) return m * p;
    }
    return 10 * p;
  }

  function drawChart(c, values, hot, spans, height) {
    const { g, w, h } = setupCanvas(c, height);
    const times = state.times;
    const n = Math.min(values.length, times.length);
    const padL = 44, padR = 8, padT = 8, padB = 18;
    const pw = w - padL - padR, ph = h - padT - padB;
    const v = values.slice(values.length - n);
    const t = times.slice(times.length - n);
    const t1 = t.length ? t[t.length - 1] : Date.now();
    const t0 = t.length > 1 ? t[0] : t1 - 1000;
    const ymax = niceMax(Math.max(0, ...v) * 1.08);
    const X = (tt) => padL + ((tt - t0) / Math.max(1, t1 - t0)) * pw;
    const Y = (y) => padT + ph - (y / ymax) * ph;

    // hot periods
    g.fillStyle = "rgba(255, 90, 54, 0.10)";
    for (const [a, b] of spans) {
      if (b < t0 || a > t1) continue;
      const xa = X(Math.max(a, t0)), xb = X(Math.min(b, t1));
      g.fillRect(xa, padT, Math.max(1, xb - xa), ph);
    }
    // grid and labels
    g.strokeStyle = GRID;
    g.lineWidth = 1;
    g.fillStyle = MUTED;
    g.font = "11px ui-monospace, monospace";
    g.textAlign = "right";
    g.textBaseline = "middle";
    for (let i = 0; i <= 3; i++) {
      const y = Math.round(Y((ymax * i) / 3)) + 0.5;
      g.beginPath();
      g.moveTo(padL, y);
      g.lineTo(w - padR, y);
      g.stroke();
      g.fillText(human((ymax * i) / 3), padL - 6, y);
    }
    g.textBaseline = "alphabetic";
    g.textAlign = "left";
    g.fillText("−" + dur((t1 - t0) / 1000), padL, h - 3);
    g.textAlign = "right";
    g.fillText("now", w - padR, h - 3);
    g.textAlign = "left";
    if (n < 1) return;

    const color = hot ? HOT : COOL;
    const pts = v.map((y, i) => [X(t[i]), Y(y)]);
    if (pts.length === 1) pts.unshift([padL, pts[0][1]]);
    // area
    const grad = g.createLinearGradient(0, padT, 0, padT + ph);
    grad.addColorStop(0, hot ? "rgba(255, 90, 54, 0.35)" : "rgba(74, 168, 255, 0.30)");
    grad.addColorStop(1, "rgba(0, 0, 0, 0)");
    g.beginPath();
    g.moveTo(pts[0][0], padT + ph);
    for (const [x, y] of pts) g.lineTo(x, y);
    g.lineTo(pts[pts.length - 1][0], padT + ph);
    g.closePath();
    g.fillStyle = grad;
    g.fill();
    // line
    g.beginPath();
    pts.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.lineJoin = "round";
    g.stroke();
    const [lx, ly] = pts[pts.length - 1];
    g.beginPath();
    g.arc(lx, ly, 3, 0, 2 * Math.PI);
    g.fillStyle = color;
    g.fill();
  }

  function renderNodes(d) {
    const tb = $("nodes").tBodies[0];
    const empty = $("nodes-empty");
    const nd = d.nodes;
    if (!nd) {
      tb.replaceChildren();
      empty.hidden = false;
      empty.textContent = "Node load is not measured by this server.";
      $("nodes-hint").textContent = "";
      return;
    }
    const maxOps = Math.max(1, ...nd.nodes.map((n) => n.ops_per_sec));
    const rows = nd.nodes.map((n) => {
      const tr = el("tr");
      tr.appendChild(el("td", "key", n.node));
      const rc = el("td");
      rc.appendChild(el("span", "badge role", n.role));
      tr.appendChild(rc);
      const oc = el("td");
      const bc = el("div", "bar-cell");
      const bar = el("div", "bar");
      const fill = el("i", n.flags && n.flags.includes("ops") ? "over" : "");
      fill.style.width = ((100 * n.ops_per_sec) / maxOps).toFixed(1) + "%";
      bar.appendChild(fill);
      bc.appendChild(bar);
      bc.appendChild(el("span", "", human(n.ops_per_sec)));
      oc.appendChild(bc);
      tr.appendChild(oc);
      tr.appendChild(el("td", "num", human(n.reads_per_sec)));
      tr.appendChild(el("td", "num", human(n.writes_per_sec)));
      tr.appendChild(el("td", "num", bytes(n.net_in_bytes_per_sec)));
      tr.appendChild(el("td", "num", bytes(n.net_out_bytes_per_sec)));
      tr.appendChild(el("td", "num", bytes(n.used_memory)));
      tr.appendChild(el("td", "num", human(n.keys)));
      tr.appendChild(el("td", "num", String(n.clients)));
      const fc = el("td");
      for (const f of n.flags || []) fc.appendChild(el("span", "badge flag", f + " >2×"));
      if (!(n.flags || []).length) fc.appendChild(el("span", "muted", "–"));
      tr.appendChild(fc);
      return tr;
    });
    tb.replaceChildren(...rows);
    empty.hidden = nd.nodes.length > 0 && !nd.error;
    empty.textContent = nd.error ? "Last sample failed: " + nd.error : "Measuring…";
    $("nodes-hint").textContent = nd.at
      ? "INFO deltas" + (nd.interval_seconds > 0 ? " over " + trim(nd.interval_seconds.toFixed(1)) + "s" : "") + " · " + clock(Date.parse(nd.at))
      : "";
  }

  function renderFleet(d) {
    const tb = $("fleet").tBodies[0];
    const empty = $("fleet-empty");
    const f = d.fleet;
    const counters = $("fleet-counters");
    const nc = $("nearcache");
    nc.replaceChildren();
    const b = el("b", "", "Near cache: ");
    nc.appendChild(b);
    const ncd = d.near_cache;
    if (ncd.available && ncd.total) {
      nc.appendChild(document.createTextNode(
        ncd.instances + " instance" + (ncd.instances === 1 ? "" : "s") + " report" + (ncd.instances === 1 ? "s" : "") +
        " a near cache, " + pct(ncd.total.hit_ratio) + " of lookups hit (below)."));
    } else {
      nc.appendChild(document.createTextNode("not shown: " + ncd.reason + "."));
    }
    if (d.near_cache.fleet_hot_keys != null) {
      nc.appendChild(el("br"));
      nc.appendChild(document.createTextNode(
        d.near_cache.fleet_hot_keys + " key" + (d.near_cache.fleet_hot_keys === 1 ? " is" : "s are") +
        " hot fleet-wide now: instances that follow the fleet hot set may cache " + (d.near_cache.fleet_hot_keys === 1 ? "it" : "them") + " near."));
    }
    if (!f) {
      tb.replaceChildren();
      counters.replaceChildren();
      empty.hidden = false;
      empty.textContent = "The source is " + d.source + ", not a fleet: no instances to list.";
      $("fleet-hint").textContent = "";
      return;
    }
    $("fleet-hint").textContent = f.stream;
    const rows = f.instances.map((i) => {
      const tr = el("tr", i.self ? "self" : "");
      const id = el("td", "key", i.id);
      id.title = i.id;
      tr.appendChild(id);
      tr.appendChild(el("td", "num", human(i.rate)));
      tr.appendChild(el("td", "num", String(i.keys)));
      tr.appendChild(el("td", "num", dur(i.age_seconds)));
      const off = i.clock_offset_seconds;
      const a = Math.abs(off);
      const oc = el("td", "num" + (a > 1 ? " skew" : ""), a < 0.05 ? "0s" : (off > 0 ? "+" : "−") + (a < 100 ? a.toFixed(1) : a.toFixed(0)) + "s");
      oc.title = "the instance's clock against this dashboard's (never used for ageing)";
      tr.appendChild(oc);
      return tr;
    });
    tb.replaceChildren(...rows);
    empty.hidden = rows.length > 0;
    empty.textContent = "No live instance is publishing to " + f.stream + ".";
    const s = f.stats;
    const items = [
      ["received", s.summaries_received, false], ["malformed", s.malformed, s.malformed > 0],
      ["other version", s.unknown_version, s.unknown_version > 0], ["stale", s.stale, s.stale > 0],
      ["gaps", s.gaps, s.gaps > 0], ["read errors", s.read_errors, s.read_errors > 0],
      ["joined", s.joined, false], ["left", s.left, false], ["expired", s.expired, s.expired > 0],
    ];
    counters.replaceChildren(...items.map(([name, v, bad]) => {
      const dv = el("div");
      dv.appendChild(el("dt", "", name));
      dv.appendChild(el("dd", bad ? "bad" : "", human(v)));
      return dv;
    }));
  }

  function renderNearCache(d) {
    const t = $("nc");
    const empty = $("nc-empty");
    const f = d.fleet;
    const ncd = d.near_cache;
    const row = (name, c, cls) => {
      const tr = el("tr", cls || "");
      const id = el("td", "key", name);
      id.title = name;
      tr.appendChild(id);
      tr.appendChild(el("td", "", c.mode || ""));
      for (const v of [c.hits, c.misses]) tr.appendChild(el("td", "num", human(v)));
      tr.appendChild(el("td", "num", c.hits + c.misses > 0 ? pct(c.hit_ratio) : "–"));
      for (const v of [c.fills, c.invalidations, c.entries]) tr.appendChild(el("td", "num", human(v)));
      tr.appendChild(el("td", "num", bytes(c.bytes)));
      return tr;
    };
    const rows = f ? f.instances.filter((i) => i.near_cache).map((i) => row(i.id, i.near_cache)) : [];
    t.tBodies[0].replaceChildren(...rows);
    t.tFoot.replaceChildren();
    if (ncd.total) {
      const modes = Object.entries(ncd.modes || {}).map(([m, n]) => n + " " + m).join(", ");
      t.tFoot.appendChild(row("fleet (" + ncd.instances + ")", Object.assign({}, ncd.total, { mode: modes }), "total"));
    }
    empty.hidden = rows.length > 0;
    empty.textContent = ncd.reason ? "No near-cache figures: " + ncd.reason + "." : "";
    $("nc-hint").textContent = rows.length > 0 ? "counts since each instance started" : "";
  }

  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(render, 100);
  });

  loadSnapshot();
  connect();
})();
