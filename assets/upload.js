// The workbook picker (Dash's Upload) keeps its file input hidden behind a visible "Choose a workbook" button:
// give the input a name for assistive technology and keep it out of the tab order, so the button is the one stop.
// A file over the size limit is never sent; say so, instead of doing nothing.
(function () {
  var LIMIT = 700000;
  function tooBig(files) {
    var file = files && files[0];
    var result = document.getElementById("workbook-result");
    if (!file || !result || file.size <= LIMIT) { return; }
    result.innerHTML = "";
    var message = document.createElement("p");
    message.className = "check-error";
    message.textContent = file.name + " is " + Math.round(file.size / 1000) + " KB; the limit is 700 KB. " +
      "Keep only the sheet with the figures, or save it as CSV, and choose it again.";
    result.appendChild(message);
  }
  function label() {
    document.querySelectorAll(".workbook-drop input[type=file]:not([aria-label])").forEach(function (input) {
      input.setAttribute("aria-label", "Choose a workbook (.xlsx or .csv)");
      input.setAttribute("tabindex", "-1");
      input.addEventListener("change", function () { tooBig(input.files); });
    });
  }
  document.addEventListener("drop", function (event) {
    if (event.target.closest && event.target.closest(".workbook-drop")) { tooBig(event.dataTransfer.files); }
  }, true);
  new MutationObserver(label).observe(document.documentElement, {childList: true, subtree: true});
})();
