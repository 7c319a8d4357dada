// live.js refreshes the dashboard's live regions without reloading the
// page: every element with data-live is re-fetched as an HTML fragment
// from the page's own URL (with the X-Dashboard-Fragment header naming the
// region) and replaced in place. It waits while the tab is hidden, and
// skips a region that holds the keyboard focus, so that a refresh never
// steals the focus from a button the user is about to press.
(function () {
	"use strict";
	var regions = document.querySelectorAll("[data-live]");
	if (!regions.length || !window.fetch) return;
	var every = Number(document.body.getAttribute("data-refresh-ms")) || 2000;
	var note = document.getElementById("live-status");

	function refresh(el) {
		if (el.contains(document.activeElement)) return Promise.resolve();
		return fetch(window.location.href, {
			headers: { "X-Dashboard-Fragment": el.id },
			credentials: "same-origin",
		}).then(function (res) {
			if (!res.ok) throw new Error("HTTP " + res.status);
			return res.text();
		}).then(function (html) {
			if (el.contains(document.activeElement)) return;
			if (el.innerHTML !== html) el.innerHTML = html;
		});
	}

	function tick() {
		if (document.hidden) { setTimeout(tick, every); return; }
		var all = [];
		regions.forEach(function (el) { all.push(refresh(el)); });
		Promise.all(all).then(function () {
			if (note) note.textContent = "Updated " + new Date().toLocaleTimeString();
			document.body.setAttribute("data-refreshed", String(Date.now()));
		}, function (err) {
			if (note) note.textContent = "Live updates paused: " + err.message;
		}).then(function () { setTimeout(tick, every); });
	}
	setTimeout(tick, every);
})();

// A form with data-confirm asks before it submits: deleting or cancelling
// a task cannot be undone.
document.addEventListener("submit", function (e) {
	var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
	if (msg && !window.confirm(msg)) e.preventDefault();
});
