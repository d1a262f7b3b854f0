// Countdowns to deadlines and live entry counters of open draws. The page is complete
// without this script; it only keeps the numbers current.
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (e) {
      var left = Math.max(0, Math.floor((Date.parse(e.getAttribute("data-deadline")) - now) / 1000));
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      e.textContent = (d > 0 ? d + " " + e.getAttribute("data-days") + " " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
    });
  }
  function refresh() {
    if (!document.querySelector("[data-live]")) { return; }
    fetch("/live.json", { cache: "no-cache" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (live) {
      if (!live) { return; }
      live.draws.forEach(function (d) {
        document.querySelectorAll('[data-live="' + d.id + '"]').forEach(function (e) {
          var field = e.getAttribute("data-field");
          if (field && d[field] !== undefined) { e.textContent = d[field]; }
        });
      });
    }).catch(function () {});
  }
  tick();
  setInterval(tick, 1000);
  setInterval(refresh, 15000);
})();
