// Installed in every page and frame before any page script, after the WebSocket hook of
// bench/browser/messages.py (RECORD_SCRIPT_RUNS): records mouse-ups, watches an armed result
// (AppPage.arm) until it settles from the script runs the hook records, and reads the page for the
// driver, bench/browser/page.py, as window.__bnn.<function>.
(() => {
  const bnn = Object.assign((window.__bnn = window.__bnn || {}), { mouseUps: [], arms: [], watch: null });
  window.addEventListener("mouseup", () => bnn.mouseUps.push(performance.now()), true);
  // The page is idle when connected, not running and nothing on it is stale.
  bnn.idle = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.getAttribute("data-test-connection-state") === "CONNECTED"
      && app.getAttribute("data-test-script-state") === "notRunning"
      && !document.querySelector('[data-stale="true"]');
  };
  // The first script run that started at or after ``mark`` and ran to its end: {runStart, runEnd} or null.
  // A run interrupted by a newer one does not count; the newer one does.
  bnn.finishedRunAfter = (mark) => {
    let start = null;
    for (const run of bnn.runs) {
      if (run.t < mark) continue;
      if (run.state === "running") start = run.t;
      else if (start !== null && (run.state === "finished" || run.state === "fragmentFinished")) {
        const later = bnn.runs.some((other) => other.state === "running" && other.t > run.t);
        if (!later) return { runStart: start, runEnd: run.t };
      }
    }
    return null;
  };
  // The new verdict is shown when a script run started after the trigger, the verdict container holds at
  // least ``verdictParts`` elements, none of them stale (left from an earlier run), and its text is not the
  // text it had when armed; the same text again counts once that run has finished. textContent: no layout.
  bnn.checkVerdict = (w, t0, box) => {
    if (w.verdictAt !== null && w.verdictT0 === t0) return;
    w.verdictAt = null;  // a later mouse-up: the verdict of an earlier stroke does not count
    if (!bnn.runs.some((run) => run.state === "running" && run.t >= t0)) return;
    const verdict = box.querySelector(".st-key-verdict-" + w.suffix);
    if (!verdict) return;
    const parts = [...verdict.querySelectorAll('[data-testid="stElementContainer"]')];
    if (parts.length < w.verdictParts || parts.some((part) => part.getAttribute("data-stale") === "true")) return;
    const text = verdict.textContent.trim();
    if (!text || (text === w.oldVerdict && bnn.finishedRunAfter(t0) === null)) return;
    w.verdictAt = performance.now();
    w.verdictT0 = t0;
  };
  // A result has settled when a script run that started after the trigger has finished, the page is idle,
  // and the result container holds either a verdict, shown (its text may come after its element: Suspense),
  // with its charts drawn, or a message.
  bnn.check = () => {
    const w = bnn.watch;
    if (!w || w.done !== null) return;
    const t0 = Math.max(w.armedAt, ...bnn.mouseUps.filter((t) => t >= w.armedAt));
    const box = document.querySelector(".st-key-result-" + w.suffix);
    if (box) bnn.checkVerdict(w, t0, box);
    const run = bnn.finishedRunAfter(t0);
    if (!run || !bnn.idle() || !box) return;
    // Until React renders the run's last messages the page is the previous run's, which may pass for an answer
    // (the prompt, for a message): wait for a change after the run's end, or 200 ms without one (the same page).
    if (bnn.mutatedAt < run.runEnd && performance.now() - run.runEnd < 200) return;
    const verdict = box.querySelector(".st-key-verdict-" + w.suffix);
    const charts = [...box.querySelectorAll('[data-testid="stPlotlyChart"]')];
    const drawn = charts.filter((chart) => chart.querySelector(".main-svg")).length;
    const alerts = box.querySelectorAll('[data-testid="stAlert"], [data-testid="stAlertContainer"]').length;
    if (verdict ? drawn < Math.max(w.minCharts, charts.length) || w.verdictAt === null : alerts === 0) return;
    w.done = performance.now();
    w.t0 = t0;
    // The phases as this page saw them: trigger -> script run starts -> run ends -> charts drawn.
    w.runStart = run.runStart;
    w.runEnd = run.runEnd;
    // The page's first message after the trigger: the drawing, once the canvas component sends it.
    w.sentAt = bnn.sends.map(([t]) => t).find((t) => t >= t0) ?? null;
  };
  bnn.mutatedAt = 0;
  new MutationObserver(() => {
    bnn.mutatedAt = performance.now();
    if (bnn.watch) bnn.check();
  }).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
  setInterval(() => bnn.watch && bnn.check(), 15);
  // --- what the driver (bench/browser/page.py) calls with page.evaluate -------------------------------------
  // Start watching ".st-key-result-<suffix>" (AppPage.arm).
  bnn.arm = (suffix, minCharts, verdictParts) => {
    const old = document.querySelector(`.st-key-result-${suffix} .st-key-verdict-${suffix}`);
    bnn.watch = {
      suffix, minCharts, verdictParts, armedAt: performance.now(), done: null, t0: null,
      oldVerdict: old ? old.textContent.trim() : null, verdictAt: null, verdictT0: null, sentAt: null,
    };
    bnn.arms.push([suffix, bnn.watch.armedAt]);
  };
  // What the watch and Streamlit show now: for the message of a timeout (AppPage.describe).
  bnn.describe = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    const w = bnn.watch;
    const box = w && document.querySelector(".st-key-result-" + w.suffix);
    return {
      now: performance.now(),
      watch: w,
      runs: bnn.runs.slice(-8).map((run) => `${run.state} ${Math.round(run.t)}`),
      mouseUps: bnn.mouseUps.slice(-4).map(Math.round),
      arms: bnn.arms.slice(-4).map(([suffix, t]) => `${suffix} ${Math.round(t)}`),
      sends: bnn.sends.slice(-4).map(([t, bytes]) => `${Math.round(t)}: ${bytes} B`),
      script: app && app.getAttribute("data-test-script-state"),
      connection: app && app.getAttribute("data-test-connection-state"),
      stale: document.querySelectorAll('[data-stale="true"]').length,
      charts: box ? box.querySelectorAll('[data-testid="stPlotlyChart"]').length : null,
      drawnCharts: box ? box.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg').length : null,
      text: box ? box.innerText.slice(0, 200) : null,
    };
  };
  // The armed result container's contents and its timing (AppPage.read_result: the fields of Result).
  bnn.readResult = () => {
    const w = bnn.watch;
    const box = document.querySelector(".st-key-result-" + w.suffix);
    const verdict = box && box.querySelector(".st-key-verdict-" + w.suffix);
    const alerts = box ? [...box.querySelectorAll('[data-testid="stAlert"]')] : [];
    const messages = alerts.filter((alert) => !(verdict && verdict.contains(alert)));
    return {
      suffix: w.suffix,
      text: box ? box.innerText : "",
      verdict: verdict ? verdict.innerText : null,
      charts: box ? box.querySelectorAll('[data-testid="stPlotlyChart"]').length : 0,
      alerts: messages.map((alert) => alert.innerText),
      milliseconds: w.done === null ? NaN : w.done - w.t0,
      to_run_ms: w.done === null ? NaN : w.runStart - w.t0,
      run_ms: w.done === null ? NaN : w.runEnd - w.runStart,
      render_ms: w.done === null ? NaN : w.done - w.runEnd,
      verdict_ms: w.done === null || w.verdictAt === null ? NaN : w.verdictAt - w.t0,
      to_send_ms: w.done === null || w.sentAt === null ? NaN : w.sentAt - w.t0,
    };
  };
  // Each Plotly chart under ``selector``: its traces as {type, name, orientation, x, y} (AppPage.chart_traces).
  bnn.chartTraces = (selector) => [...document.querySelectorAll(selector)].map(
    (plot) => (plot._fullData || []).map((trace) => ({
      type: trace.type, name: trace.name || "", orientation: trace.orientation || "v",
      x: trace.x ? Array.from(trace.x) : [], y: trace.y ? Array.from(trace.y) : [],
    })));
  // The page is idle and ".st-key-<key>" has at least ``minCharts`` charts, all drawn, and every image loaded.
  bnn.drawn = (key, minCharts) => {
    const box = document.querySelector(".st-key-" + key);
    if (!box || !bnn.idle()) return false;
    const charts = [...box.querySelectorAll('[data-testid="stPlotlyChart"]')];
    const drawn = charts.filter((chart) => chart.querySelector(".js-plotly-plot .main-svg")).length;
    const images = [...box.querySelectorAll("img")];
    return drawn >= Math.max(minCharts, charts.length) && images.every((img) => img.complete && img.naturalWidth > 0);
  };
  // Each st.image row inside ``box``: one caption per picture (AppPage.image_rows).
  bnn.imageRows = (box) => [...box.querySelectorAll('[data-testid="stImage"]')].map((row) => {
    const pictures = [...row.querySelectorAll("img")];
    const captions = [...row.querySelectorAll('[data-testid="stImageCaption"]')].map((c) => c.innerText);
    return pictures.map((_, index) => captions[index] ?? "");
  });
  // Whether a stroke can start at [fx, fy] (0..1) on Fabric's upper canvas: its drawing has loaded and nothing
  // covers that point. Shadow roots and documents both have elementFromPoint: the component in the page or in
  // an iframe alike.
  bnn.canvasReady = (upper, [fx, fy]) => {
    const lower = upper.parentElement && upper.parentElement.querySelector("canvas.lower-canvas");
    if (!lower || lower.getContext("2d").getImageData(0, 0, 1, 1).data[3] === 0) return false;
    const rect = upper.getBoundingClientRect();
    const x = rect.left + Math.min(Math.max(fx, 0.01), 0.99) * rect.width;
    const y = rect.top + Math.min(Math.max(fy, 0.01), 0.99) * rect.height;
    return upper.getRootNode().elementFromPoint(x, y) === upper;
  };
  // The height of the whole page, with what is scrolled out of view in Streamlit's main area (AppPage.screenshot).
  bnn.pageHeight = () => Math.max(window.innerHeight, ...[...document.querySelectorAll(
    '[data-testid="stMain"], [data-testid="stAppViewContainer"], section.main')].map((el) => el.scrollHeight));
})();
