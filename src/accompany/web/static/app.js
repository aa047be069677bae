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
// A button whose effect reaches residents at once (a file made public) asks first:
// one tap on a phone should not publish a file by mistake. Without script it sends.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
});
// A "print" button (the household slips) prints the page.
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
});
// What was typed into a form survives a sign-in that ran out or a form that expired
// (a planner's long note on a phone): on sending, the form's typed fields are kept in
// this tab's sessionStorage (never passwords, files or hidden fields; gone when the tab
// closes). The sign-in and "form expired" pages mark the sending as interrupted; the
// form's page, opened again in this tab, fills them back into its empty fields and says
// so. Any other page after a sending means it arrived, and the copy is dropped.
(function () {
  var KEY = "accompany-draft";
  var body = document.body;
  if (!body || !body.hasAttribute("data-draft-notice") || !window.sessionStorage) { return; }
  function typed(field) {
    var type = (field.type || "").toLowerCase();
    return field.name && field.name !== "csrf" && !field.disabled &&
      ["hidden", "password", "file", "submit", "button", "checkbox", "radio"].indexOf(type) < 0;
  }
  function path(form) { return new URL(form.action, window.location.href).pathname; }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.method || form.method.toLowerCase() !== "post" || form.hasAttribute("data-no-draft")) { return; }
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (typed(field) && field.value) { fields[field.name] = field.value; }
    });
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ action: path(form), fields: fields, interrupted: false }));
    } catch (e) { /* storage full or refused: the form is sent all the same */ }
  }, true);
  var draft = null;
  try { draft = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { draft = null; }
  if (!draft) { return; }
  if (body.hasAttribute("data-draft-keep")) {
    draft.interrupted = true;
    sessionStorage.setItem(KEY, JSON.stringify(draft));
    return;
  }
  var form = draft.interrupted && Array.prototype.filter.call(document.forms, function (f) {
    return f.method.toLowerCase() === "post" && path(f) === draft.action;
  })[0];
  sessionStorage.removeItem(KEY);
  if (!form) { return; }
  var restored = 0;
  Object.keys(draft.fields).forEach(function (name) {
    var field = form.elements.namedItem(name);
    if (field && field.nodeType === 1 && typed(field) && !field.value) {
      field.value = draft.fields[name];
      restored += 1;
    }
  });
  if (restored) {
    var notice = document.createElement("p");
    notice.className = "notice draft-restored";
    notice.setAttribute("role", "status");
    notice.textContent = body.getAttribute("data-draft-notice");
    form.insertBefore(notice, form.firstChild);
  }
})();
// A refused form comes back with its problems next to its fields. On a long page (the
// project's, with a form per stage and the residents' answers below) the page opens at
// its top and the problem may be screens below: the first one is brought into view and
// its field focused, so the person sees that something needs correcting.
(function () {
  if (window.location.hash) { return; }
  var first = document.querySelector("[aria-invalid=true], .field-error, [role=alert]");
  if (!first) { return; }
  var box = first.getBoundingClientRect();
  if (box.top >= 0 && box.bottom <= window.innerHeight) { return; }
  first.scrollIntoView({ block: "center" });
  if (first.matches("input, textarea, select")) { first.focus({ preventScroll: true }); }
})();
// The line confirming what was just done stays in view while the page opens at its
// stage (sticky), then lets go: tapped, or after a few seconds, it stays where it is
// at the top of the page instead of covering what is read under it while scrolling.
(function () {
  var notice = document.querySelector(".done-notice");
  if (!notice) { return; }
  function release() { notice.classList.add("released"); }
  notice.addEventListener("click", release);
  window.setTimeout(release, 6000);
})();
