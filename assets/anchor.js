// Pages are rendered after the document loads, so the browser's own jump to an address's #anchor finds
// nothing: scroll to it once its element appears (and again when the address changes).
(function () {
  var reached = null;
  function jump() {
    var key = location.pathname + location.hash;
    if (!location.hash || reached === key) { return; }
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target) {
      reached = key;
      target.scrollIntoView();
    }
  }
  new MutationObserver(jump).observe(document.documentElement, {childList: true, subtree: true});
  window.addEventListener("hashchange", function () { reached = null; jump(); });
})();
