// accompany: progressive enhancement only; every page works without it.
// A form is sent once: its submit buttons are disabled while it goes (a planner on a
// slow phone network taps twice).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.method && form.method.toLowerCase() === "post") {
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  }
});
// htmx requests carry the page's CSRF token (from its forms) as a header.
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.querySelector("input[name=csrf]");
  if (token) { event.detail.headers["X-CSRF-Token"] = token.value; }
});
// Coming back to a page (the back button) finds its buttons usable again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
});
// A "print" button (the household slips) prints the page.
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
});
