// Face Landmarks+ network view: the live stream, each frame's faces (Server-Sent
// Events, the JSON lines' schema), plots of the last 10 s and the touch UI's controls.
// Plain JS, no library, works offline.
"use strict";
(function () {
  const token = new URLSearchParams(location.search).get("token") || "";
  const q = "token=" + encodeURIComponent(token);
  const $ = (id) => document.getElementById(id);
  const TEXT = {
    en: { connecting: "connecting…", live: "live", lost: "connection lost, retrying…",
      snapshot: "snapshot", controls: "controls", view: "view", mesh: "mesh", points: "points",
      depth: "depth", subset: "points", faces: "faces", box: "BOX", signals: "SIG",
      smoothing: "smoothing", off: "off", low: "low", high: "high", faces_now: "faces",
      last10: "last 10 s (largest face)", none: "no face", pose: "pose (yaw, pitch, roll °)",
      eyes: "eyes (left, right)", mouth: "mouth", blinks: "blinks", gaze: "gaze",
      expression: "expression", track: "track" },
    zh: { connecting: "连接中…", live: "实时", lost: "连接断开，重试中…",
      snapshot: "截图", controls: "控制", view: "视图", mesh: "网格", points: "点",
      depth: "深度", subset: "点数", faces: "人脸数", box: "人脸框", signals: "信号",
      smoothing: "平滑", off: "关", low: "低", high: "高", faces_now: "人脸",
      last10: "最近 10 秒（最大的人脸）", none: "没有人脸", pose: "姿态（偏航、俯仰、翻滚 °）",
      eyes: "眼睛（左、右）", mouth: "嘴", blinks: "眨眼", gaze: "视线",
      expression: "表情", track: "跟踪" },
  };
  let lang = (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
  const t = (key) => (TEXT[lang] || TEXT.en)[key] || key;
  function translate() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  }

  // -- the stream and snapshots ----------------------------------------------------------
  $("live").src = "stream.mjpg?" + q;
  $("snapshot").href = "snapshot.jpg?" + q;
  $("snapshot-json").href = "snapshot.json?" + q;

  // -- state and controls ----------------------------------------------------------------
  let state = null;
  function showState(s) {
    state = s;
    if (s.locale && s.locale.toLowerCase().startsWith("zh") && lang !== "zh") { lang = "zh"; translate(); }
    $("c-view").value = s.view;
    $("c-points_subset").value = String(s.points_subset);
    $("c-max_faces").textContent = s.max_faces;
    $("c-show_hud").checked = s.show_hud;
    $("c-show_box").checked = s.show_box;
    $("c-show_signals").checked = s.show_signals;
    $("c-smoothing").value = s.smoothing_level;
    document.body.dataset.view = s.view;
  }
  async function send(changes) {
    $("error").textContent = "";
    try {
      const r = await fetch("api/state", { method: "POST", headers: { "Content-Type": "application/json", "X-Token": token },
        body: JSON.stringify(changes) });
      const text = await r.text();
      if (!r.ok) { $("error").textContent = r.status + ": " + text; return; }
      showState(JSON.parse(text));
    } catch (e) { $("error").textContent = String(e); }
  }
  document.querySelectorAll("#controls [data-key]").forEach((el) => {
    el.addEventListener("change", () => {
      let value = el.type === "checkbox" ? el.checked : el.value;
      if (el.dataset.number) value = Number(value);
      send({ [el.dataset.key]: value });
    });
  });
  $("c-less").addEventListener("click", () => state && send({ max_faces: Math.max(1, state.max_faces - 1) }));
  $("c-more").addEventListener("click", () => state && send({ max_faces: Math.min(10, state.max_faces + 1) }));
  fetch("api/state", { headers: { "X-Token": token } }).then((r) => r.ok ? r.json() : null)
    .then((s) => s && showState(s)).catch(() => {});

  // -- faces, signals, plots ---------------------------------------------------------------
  const WINDOW_MS = 10000;
  const history = [];  // {t, pose: [y,p,r], eyes: [l,r], mouth}
  const fmt = (v, d) => (v === null || v === undefined) ? "–" : Number(v).toFixed(d);
  const list = (a, d) => Array.isArray(a) ? a.map((v) => fmt(v, d)).join(", ") : "–";
  const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  function expressionText(e) {
    if (e === null || e === undefined) return null;
    if (typeof e === "string") return e;
    if (typeof e === "object" && e.name !== undefined) return e.name + (e.score !== undefined ? " " + fmt(e.score, 2) : "");
    return JSON.stringify(e).slice(0, 60);
  }
  function showFaces(rec) {
    const faces = rec.faces || [];
    if (!faces.length) { $("faces").textContent = t("none"); return; }
    let html = "<table>";
    faces.forEach((f) => {
      const s = f.signals || {};
      html += `<tr><th colspan="2">${t("track")} ${f.track_id} · ${fmt(f.score, 2)}</th></tr>`;
      html += `<tr><td>${t("pose")}</td><td class="pose">${list(s.pose, 1)}</td></tr>`;
      html += `<tr><td>${t("eyes")}</td><td class="eyes">${list(s.eyes, 2)}</td></tr>`;
      html += `<tr><td>${t("mouth")}</td><td class="mouth">${fmt(s.mouth, 2)}</td></tr>`;
      html += `<tr><td>${t("gaze")}</td><td>${list(s.gaze, 2)}</td></tr>`;
      html += `<tr><td>${t("blinks")}</td><td>${s.blinks === undefined ? "–" : s.blinks}</td></tr>`;
      const ex = expressionText(f.expression);
      if (ex !== null) html += `<tr><td>${t("expression")}</td><td class="expression">${escape(ex)}</td></tr>`;
    });
    $("faces").innerHTML = html + "</table>";
  }
  function largest(faces) {
    let best = null;
    (faces || []).forEach((f) => { if (!best || f.box[2] * f.box[3] > best.box[2] * best.box[3]) best = f; });
    return best;
  }
  function record(rec) {
    const now = performance.now();
    const f = largest(rec.faces);
    const s = (f && f.signals) || {};
    history.push({ t: now, pose: s.pose || [null, null, null], eyes: s.eyes || [null, null],
      mouth: s.mouth === undefined ? null : s.mouth });
    while (history.length && history[0].t < now - WINDOW_MS) history.shift();
  }
  const COLORS = ["#ff6b6b", "#69db7c", "#74c0fc"];
  function plot(id, pick, lo, hi, label) {
    const c = $(id), g = c.getContext("2d"), w = c.width, h = c.height, now = performance.now();
    g.clearRect(0, 0, w, h);
    g.strokeStyle = "#333a40"; g.beginPath(); g.moveTo(0, h * hi / (hi - lo)); g.lineTo(w, h * hi / (hi - lo)); g.stroke();
    const n = pick(history[0] || { pose: [], eyes: [], mouth: null }).length;
    for (let k = 0; k < n; k++) {
      g.strokeStyle = COLORS[k % COLORS.length]; g.beginPath();
      let pen = false;
      history.forEach((e) => {
        const v = pick(e)[k];
        if (v === null || v === undefined) { pen = false; return; }
        const x = w - (now - e.t) / WINDOW_MS * w;
        const y = h - (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo) * h;
        if (pen) g.lineTo(x, y); else g.moveTo(x, y);
        pen = true;
      });
      g.stroke();
    }
    g.fillStyle = "#aab"; g.fillText(label, 4, 12);
  }
  let dirty = false;
  function draw() {
    if (dirty) {
      dirty = false;
      plot("plot-pose", (e) => e.pose, -60, 60, t("pose"));
      plot("plot-eyes", (e) => e.eyes, 0, 1.2, t("eyes"));
      plot("plot-mouth", (e) => [e.mouth], 0, 1, t("mouth"));
    }
    requestAnimationFrame(draw);
  }
  requestAnimationFrame(draw);

  let lastShown = 0, frames = 0, since = performance.now();
  function connect() {
    const events = new EventSource("events?points=0&" + q);  // the signals, not the 478 points
    events.onopen = () => { $("status").textContent = t("live"); };
    events.onerror = () => { $("status").textContent = t("lost"); };
    events.onmessage = (m) => {
      const rec = JSON.parse(m.data);
      record(rec);
      dirty = true;
      frames++;
      const now = performance.now();
      if (now - lastShown > 200) {  // the table at 5 Hz: readable, cheap
        lastShown = now;
        showFaces(rec);
        $("fps").textContent = (frames * 1000 / (now - since)).toFixed(1) + " fps";
        document.body.dataset.frame = rec.frame;
      }
      if (now - since > 5000) { frames = 0; since = now; }
    };
    events.addEventListener("state", (m) => showState(JSON.parse(m.data)));
  }
  translate();
  connect();
})();
