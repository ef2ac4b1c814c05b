// lanventory: live updates and delete confirmation. No data is turned into HTML here:
// the server renders every fragment (escaped) and this script only swaps it in.
(function () {
  "use strict";

  var main = document.getElementById("main");
  var count = document.getElementById("queue-count");
  var live = document.getElementById("live");

  // Ask before deleting (forms marked with data-confirm).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    }
  }, true);

  if (!main || !window.EventSource || document.body.classList.contains("page-login")) {
    return;
  }

  // A form the owner is filling in is not swapped away: the refresh waits until
  // no field has focus and nothing was typed for a while.
  var QUIET_MS = 20000;
  var lastInput = 0;
  main.addEventListener("input", function () { lastInput = Date.now(); });
  main.addEventListener("submit", function () { lastInput = 0; });

  function busy() {
    var active = document.activeElement;
    var typing = active && main.contains(active) &&
      /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
    return Boolean(typing) || Date.now() - lastInput < QUIET_MS;
  }

  function keyOf(element) {
    var card = element.closest("[data-mac]");
    return card ? card.getAttribute("data-network") + "/" + card.getAttribute("data-mac") : "";
  }

  function openDetails() {
    var open = [];
    main.querySelectorAll("details[open]").forEach(function (item) { open.push(keyOf(item)); });
    return open;
  }

  function swap(html) {
    var open = openDetails();
    var focusedId = document.activeElement && document.activeElement.id;
    var parsed = new DOMParser().parseFromString(html, "text/html");
    main.replaceChildren.apply(main, Array.prototype.slice.call(parsed.body.childNodes));
    main.querySelectorAll("details").forEach(function (item) {
      if (open.indexOf(keyOf(item)) !== -1) { item.open = true; }
    });
    if (focusedId) {
      var again = document.getElementById(focusedId);
      if (again && main.contains(again)) { again.focus(); }
    }
  }

  var timer = null;
  var pending = false;
  var inflight = false;

  function refresh() {
    timer = null;
    if (busy() || inflight) { pending = true; schedule(2000); return; }
    pending = false;
    inflight = true;
    fetch(window.location.pathname + window.location.search, {
      headers: { "X-Fragment": "main" },
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual"
    }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401) {
        window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
        return null;
      }
      if (!response.ok) { return null; }
      var waiting = response.headers.get("X-Queue-Count");
      if (count && waiting !== null) {
        count.textContent = waiting;
        count.classList.toggle("count-waiting", waiting !== "0");
      }
      return response.text();
    }).then(function (html) {
      if (html !== null && html !== undefined) {
        if (busy()) { pending = true; } else { swap(html); }

      }
    }).catch(function () {
      pending = true;
    }).finally(function () {
      inflight = false;
      if (pending) { schedule(1500); }
    });
  }

  function schedule(delay) {
    if (timer === null) { timer = window.setTimeout(refresh, delay); }
  }

  // When the owner leaves a form untouched again, catch up.
  main.addEventListener("focusout", function () {
    if (pending) { schedule(1500); }
  });

  var types = ["device_new", "ip_changed", "online", "offline", "edited", "pruned",
    "deleted", "source_failed", "run_finished"];
  var source = null;

  function connect() {
    source = new EventSource("/api/events/stream");
    types.forEach(function (type) {
      source.addEventListener(type, function () { schedule(300); });
    });
    source.onopen = function () {
      if (live) { live.classList.add("is-live"); live.title = "Live: updates as they happen"; }
    };
    source.onerror = function () {
      if (live) { live.classList.remove("is-live"); live.title = "Live updates paused: reconnecting"; }
    };
  }

  // A page kept in the back/forward cache would hold its stream open, and
  // browsers allow only a few connections per host: close it when leaving,
  // reconnect (and catch up) when the page is shown again.
  window.addEventListener("pagehide", function () {
    if (source) { source.close(); source = null; }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && !source) { connect(); schedule(0); }
  });
  connect();
})();
