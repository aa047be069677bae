// accompany: the needs survey's "use my location" (progressive enhancement: the form
// works without it, by typing latitude and longitude). The browser gives WGS-84; the
// position is sent as such (datum wgs84) and the server converts it to GCJ-02.
(function () {
  if (!("geolocation" in navigator)) { return; }
  function ready() {
    document.querySelectorAll("button[data-locate]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var box = button.closest("fieldset");
        var status = box.querySelector("[data-role=status]");
        status.textContent = "…";
        navigator.geolocation.getCurrentPosition(function (where) {
          box.querySelector("[data-role=lat]").value = where.coords.latitude.toFixed(6);
          box.querySelector("[data-role=lng]").value = where.coords.longitude.toFixed(6);
          box.querySelector("[data-role=datum]").value = "wgs84";
          status.textContent = "GPS ±" + Math.round(where.coords.accuracy) + " m";
        }, function (problem) {
          status.textContent = problem.message || "?";
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    });
    // a position typed by hand is GCJ-02 again (as Chinese maps show it)
    document.querySelectorAll("[data-role=lat], [data-role=lng]").forEach(function (input) {
      input.addEventListener("input", function () {
        input.closest("fieldset").querySelector("[data-role=datum]").value = "gcj02";
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
