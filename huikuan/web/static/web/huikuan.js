// Small behaviour for every page: close the account menu on Escape or a click elsewhere.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.usermenu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.usermenu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });
})();

// On a phone the navigation is a row of tabs that scrolls sideways: bring the current one into
// view so the user can see where they are.
(function () {
  "use strict";
  var current = document.querySelector('nav a[aria-current="page"]');
  if (current && current.scrollIntoView) {
    current.scrollIntoView({ block: "nearest", inline: "center" });
  }
})();
