/* A background job's page: asks for the job's status every second until it is finished, and moves the
   progress bar; when done, shows the download link (or the page to go on to). Without JavaScript the
   page says to reload it. */
(function () {
  "use strict";
  var box = document.getElementById("viec");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("viec-thanh");
  var statusLine = document.getElementById("viec-tinh-trang");
  var message = document.getElementById("viec-thong-bao");
  var result = document.getElementById("viec-ket-qua");
  var download = document.getElementById("viec-tai-ve");
  var next = document.getElementById("viec-tiep");

  function show(state) {
    bar.value = state.percent;
    bar.textContent = state.percent + "%";
    var text = state.status_label;
    if (state.total && !state.finished) {
      text += ": đã xử lý " + state.done + "/" + state.total + " (" + state.percent + "%)";
    }
    statusLine.replaceChildren();
    var strong = document.createElement("strong");
    strong.textContent = text;
    statusLine.appendChild(strong);
    message.textContent = state.message;
    if (state.status === "failed") {
      message.className = "errors";
      message.setAttribute("role", "alert");
    }
    if (state.download) { download.href = state.download; download.hidden = false; }
    if (state.next) { next.href = state.next; next.hidden = false; }
    result.hidden = !(state.download || state.next);
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) { setTimeout(poll, 3000); return; }
        show(state);
        if (!state.finished) setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (box.querySelector("noscript")) setTimeout(poll, 500);
})();
