// The Telegram Mini App: Telegram opens /app with the signed launch data in the URL fragment
// (tgWebAppData). It is posted to the server, which checks its signature and answers with the
// user's draws. Every text is set with textContent.
(function () {
  "use strict";
  var labels = JSON.parse(document.getElementById("app-labels").textContent);
  var status = document.getElementById("app-status");
  var list = document.getElementById("app-entries");
  var initData = new URLSearchParams(location.hash.slice(1)).get("tgWebAppData");
  if (!initData && window.Telegram && Telegram.WebApp) { initData = Telegram.WebApp.initData; }
  if (!initData) { status.textContent = labels.need_telegram; return; }
  status.textContent = labels.loading;
  fetch("/app/me", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ init_data: initData }).toString()
  }).then(function (r) {
    return r.json().then(function (body) { return { ok: r.ok, code: r.status, body: body }; });
  }).then(function (res) {
    if (!res.ok) {
      status.textContent = res.body.error || labels.refused;
      status.setAttribute("data-refused", String(res.code));
      status.className = "bad";
      return;
    }
    status.textContent = res.body.hello + (res.body.empty ? " " + res.body.empty : "");
    status.setAttribute("data-user", "ok");
    res.body.entries.forEach(function (e) {
      var li = document.createElement("li");
      li.setAttribute("data-draw", String(e.draw_id));
      var a = document.createElement("a");
      a.href = e.url;
      a.textContent = "#" + e.draw_id + " " + e.title;
      li.appendChild(a);
      var code = document.createElement("code");
      code.textContent = e.code;
      li.appendChild(document.createTextNode(" — " + e.status + ", "));
      li.appendChild(code);
      if (e.result) { li.appendChild(document.createTextNode(", " + e.result)); }
      list.appendChild(li);
    });
  }).catch(function () { status.textContent = labels.error; });
})();
