/* The import job page: poll the job's progress as JSON and move the bar; reload the page
   (which then shows the report) once the job has ended. Without this script the page
   refreshes itself (a meta refresh inside <noscript>), and a "Refresh" link is there too. */
(function () {
  "use strict";

  var INTERVAL_MS = 700;
  var box = document.getElementById("import-progress");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector("[data-bar]");
  var count = box.querySelector("[data-count]");
  var status = box.querySelector("[data-status]");
  // The page gives the texts, translated (the JSON carries numbers only); the script places
  // them, with the numbers written the way the page's language writes them.
  function label(status) { return box.getAttribute("data-label-" + status); }
  var countText = box.getAttribute("data-count-text") || "{done} / {total}";
  var numbers = window.Intl ? new Intl.NumberFormat(document.documentElement.lang || undefined)
    : { format: String };

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        if (data.finished) { window.location.reload(); return; }
        bar.value = data.percent;
        bar.textContent = data.percent + "%";
        count.textContent = countText.replace("{done}", numbers.format(data.processed_rows))
          .replace("{total}", numbers.format(data.total_rows));
        if (label(data.status)) { status.textContent = label(data.status); }
        window.setTimeout(poll, INTERVAL_MS);
      })
      .catch(function () {
        // A network hiccup: try again a little later rather than give up.
        window.setTimeout(poll, INTERVAL_MS * 4);
      });
  }

  window.setTimeout(poll, INTERVAL_MS);
}());
