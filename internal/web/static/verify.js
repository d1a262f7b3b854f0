// fairdraw browser verifier: runs verifier.wasm (the Go code of `fairdraw verify`) on a
// proof and lists every check by name. Loaded by the draw page, /verify and the offline
// single-file verifier; it touches the network only to fetch the verifier and the proof from
// the page's own site, never when the WebAssembly is embedded in the page.
(function () {
  "use strict";
  var root = document.getElementById("verify-root");
  if (!root) { return; }
  var labels = JSON.parse(document.getElementById("verify-labels").textContent);
  var out = document.getElementById("verify-output");
  var button = document.getElementById("verify-run");
  var fileInput = document.getElementById("verify-file");
  var loading = null;

  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (attrs) { for (var k in attrs) { e.setAttribute(k, attrs[k]); } }
    return e;
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = function () { reject(new Error("cannot load " + src)); };
      document.head.appendChild(s);
    });
  }

  // instantiate compiles the verifier: from the bytes embedded in the offline page, or
  // streamed from the site (compiled while it downloads, and cached compiled by the browser).
  function instantiate(importObject) {
    var embedded = document.getElementById("verifier-wasm-b64");
    if (embedded) {
      var bin = atob(embedded.textContent.trim());
      var bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
      return WebAssembly.instantiate(bytes, importObject);
    }
    var response = fetch(root.getAttribute("data-wasm")).then(function (r) {
      if (!r.ok) { throw new Error("verifier.wasm: HTTP " + r.status); }
      return r;
    });
    if (WebAssembly.instantiateStreaming) {
      return WebAssembly.instantiateStreaming(response, importObject);
    }
    return response.then(function (r) { return r.arrayBuffer(); }).then(function (buf) {
      return WebAssembly.instantiate(buf, importObject);
    });
  }

  // loadVerifier starts the Go program once; it registers globalThis.fairdrawVerify.
  function loadVerifier() {
    if (loading) { return loading; }
    var ready = typeof Go === "function" ? Promise.resolve() : loadScript(root.getAttribute("data-wasm-exec"));
    loading = ready.then(function () {
      var go = new Go();
      return instantiate(go.importObject).then(function (res) {
        go.run(res.instance);
        if (typeof globalThis.fairdrawVerify !== "function") { throw new Error("verifier did not start"); }
      });
    });
    loading.catch(function () { loading = null; });
    return loading;
  }

  function proofText() {
    if (fileInput && fileInput.files && fileInput.files.length > 0) {
      return fileInput.files[0].text();
    }
    var url = root.getAttribute("data-proof");
    if (!url) { return Promise.reject(new Error(labels.no_file)); }
    return fetch(url, { cache: "no-cache" }).then(function (r) {
      if (!r.ok) { throw new Error(url + ": HTTP " + r.status); }
      return r.text();
    });
  }

  function show(res, ms) {
    out.textContent = "";
    var failed = null;
    var list = el("ol", null, { id: "verify-checks" });
    res.checks.forEach(function (c) {
      var li = el("li", null, { "data-check": c.name, "data-status": c.status, "class": "check-" + c.status });
      li.appendChild(el("span", labels["check." + c.name] || c.name, { "class": "check-label" }));
      li.appendChild(document.createTextNode(" (" + c.name + "): "));
      li.appendChild(el("b", labels["status." + c.status] || c.status, { "class": "check-status" }));
      if (c.reason) { li.appendChild(el("div", c.reason, { "class": "check-reason" })); }
      if (c.status === "fail" && !failed) { failed = c; }
      list.appendChild(li);
    });
    var summary = el("p", null, { id: "verify-result", "data-valid": String(res.valid), "data-ms": String(Math.round(ms)), "class": res.valid ? "ok" : "bad" });
    if (res.valid) {
      summary.textContent = labels.valid;
    } else {
      summary.textContent = labels.invalid + " ";
      summary.appendChild(el("b", failed ? (labels["check." + failed.name] || failed.name) + " (" + failed.name + ")" : "format", { id: "verify-failed", "data-check": failed ? failed.name : "format" }));
    }
    out.appendChild(summary);
    out.appendChild(list);
    out.appendChild(el("p", Math.round(ms) + " " + labels.ms, { "class": "muted" }));
    out.appendChild(el("pre", res.text, { id: "verify-text" }));
  }

  function run() {
    button.disabled = true;
    out.textContent = labels.loading;
    loadVerifier().then(function () {
      out.textContent = labels.running;
      return proofText();
    }).then(function (text) {
      var t0 = performance.now();
      var res = JSON.parse(globalThis.fairdrawVerify(text));
      show(res, performance.now() - t0);
    }).catch(function (err) {
      out.textContent = "";
      out.appendChild(el("p", labels.error + " " + err.message, { id: "verify-result", "data-valid": "error", "class": "bad" }));
    }).then(function () { button.disabled = false; });
  }

  button.hidden = false;
  if (fileInput) { fileInput.hidden = false; }
  var nojs = document.getElementById("verify-nojs");
  if (nojs) { nojs.hidden = true; }
  button.addEventListener("click", run);
})();
