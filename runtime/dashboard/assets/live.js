// live.js refreshes the dashboard's live regions without reloading the
// page: every few seconds it fetches the page's own URL once, and swaps
// the HTML of each element marked data-live for that of the element with
// the same id in the fresh copy. It waits while the tab is hidden, and
// leaves alone a region that holds the keyboard focus, so that a refresh
// never takes the focus from a button the user is about to press.
(function () {
	"use strict";
	var regions = document.querySelectorAll("[data-live][id]");
	if (!regions.length || !window.fetch || !window.DOMParser) return;
	var every = Number(document.body.getAttribute("data-refresh-ms")) || 2000;
	var note = document.getElementById("live-status");

	function refresh() {
		return fetch(window.location.href, {
			headers: { "X-Dashboard-Live": "1" },
			credentials: "same-origin",
		}).then(function (res) {
			if (!res.ok) throw new Error("HTTP " + res.status);
			return res.text();
		}).then(function (html) {
			var fresh = new DOMParser().parseFromString(html, "text/html");
			regions.forEach(function (el) {
				var next = fresh.getElementById(el.id);
				if (!next || el.contains(document.activeElement)) return;
				if (el.innerHTML !== next.innerHTML) el.innerHTML = next.innerHTML;
			});
		});
	}

	// A page that is slow to build (a very large queue) is refreshed less
	// often: the next refresh waits at least ten times as long as the last
	// one took, so open tabs never keep Redis busy.
	function tick() {
		if (document.hidden) { setTimeout(tick, every); return; }
		var start = Date.now();
		refresh().then(function () {
			if (note) note.textContent = "Updated " + new Date().toLocaleTimeString();
		}, function (err) {
			if (note) note.textContent = "Live updates failed: " + err.message + "; retrying";
		}).then(function () { setTimeout(tick, Math.max(every, 10 * (Date.now() - start))); });
	}
	setTimeout(tick, every);
})();

// A form with data-confirm asks before it submits: deleting or cancelling
// a task cannot be undone.
document.addEventListener("submit", function (e) {
	var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
	if (msg && !window.confirm(msg)) e.preventDefault();
});
