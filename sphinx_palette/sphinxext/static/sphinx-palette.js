/* sphinx-palette: copy a swatch's hex code on click or Enter, and filter the colour index by family.
   Progressive enhancement only: without this script every palette and index entry is still there. */
(function () {
  "use strict";

  function announce(region, text) {
    region.textContent = "";
    // A fresh text node after a tick makes screen readers announce repeated messages too.
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy failed")); }
    });
  }

  function enhanceSwatches() {
    var status = document.createElement("div");
    status.className = "palette-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    document.body.appendChild(status);

    document.querySelectorAll(".palette-swatch[data-hex]").forEach(function (swatch) {
      var hex = swatch.getAttribute("data-hex");
      // A real button inside the list item keeps the list semantics and gives keyboard access for free.
      var button = document.createElement("button");
      button.type = "button";
      button.className = "palette-swatch-button";
      button.setAttribute("aria-label", (swatch.getAttribute("title") || hex) + ". Copy hex code");
      while (swatch.firstChild) { button.appendChild(swatch.firstChild); }
      swatch.appendChild(button);
      button.addEventListener("click", function () {
        copyText(hex).then(function () {
          swatch.classList.add("palette-copied");
          window.setTimeout(function () { swatch.classList.remove("palette-copied"); }, 1500);
          announce(status, "Copied " + hex);
        }, function () {
          announce(status, "Could not copy " + hex);
        });
      });
    });
  }

  function enhanceIndexes() {
    document.querySelectorAll(".palette-index-chips").forEach(function (chips) {
      var index = chips.parentElement;
      var groups = index.querySelectorAll(".palette-index-family");
      var buttons = [];
      chips.querySelectorAll("li").forEach(function (item) {
        var family = null;
        item.classList.forEach(function (name) {
          if (name.indexOf("palette-chip-") === 0) { family = name.slice("palette-chip-".length); }
        });
        if (!family) { return; }
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = item.textContent.trim();
        button.setAttribute("aria-pressed", "false");
        button.dataset.family = family;
        item.textContent = "";
        item.appendChild(button);
        buttons.push(button);
      });
      buttons.forEach(function (button) {
        button.addEventListener("click", function () {
          var active = button.getAttribute("aria-pressed") !== "true";
          buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b === button && active)); });
          groups.forEach(function (group) {
            group.hidden = active && !group.classList.contains("palette-family-" + button.dataset.family);
          });
        });
      });
    });
  }

  function init() {
    enhanceSwatches();
    enhanceIndexes();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
