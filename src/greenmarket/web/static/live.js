// Live regions: an element with data-live-src is refreshed from that URL (an HTML fragment
// rendered by the server) every data-live-interval milliseconds while the page is visible.
(function () {
  "use strict";
  function refresh(element) {
    if (document.hidden) { return Promise.resolve(); }
    return fetch(element.dataset.liveSrc, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && html !== element.innerHTML) {
          element.innerHTML = html;
          element.dataset.liveUpdated = String(Date.now());
        }
      })
      .catch(function () { /* the next tick tries again */ });
  }
  function start(element) {
    var interval = parseInt(element.dataset.liveInterval || "2000", 10);
    setInterval(function () { refresh(element); }, interval);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-src]").forEach(start);
  });
})();
