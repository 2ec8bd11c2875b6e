// The workbook picker (Dash's Upload) keeps its file input hidden behind a visible "Choose a workbook" button:
// give the input a name for assistive technology and keep it out of the tab order, so the button is the one stop.
(function () {
  function label() {
    document.querySelectorAll(".workbook-drop input[type=file]:not([aria-label])").forEach(function (input) {
      input.setAttribute("aria-label", "Choose a workbook (.xlsx or .csv)");
      input.setAttribute("tabindex", "-1");
    });
  }
  new MutationObserver(label).observe(document.documentElement, {childList: true, subtree: true});
})();
