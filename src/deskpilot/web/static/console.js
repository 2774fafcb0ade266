// Keyboard shortcuts of the agent console. Elements opt in with data-shortcut="key": form fields get focus,
// buttons are pressed. In the queue, j/k move between rows, x ticks the row for a bulk action and Enter opens it.
(function () {
  "use strict";
  let row = -1;
  function typing(target) {
    if (target && target.tagName === "INPUT" && target.type === "checkbox") { return false; }
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
  }
  const selectAll = document.getElementById("select-all");
  if (selectAll) {
    selectAll.addEventListener("change", function () {
      document.querySelectorAll('input[name="ticket_ids"]').forEach(function (box) { box.checked = selectAll.checked; });
    });
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    const target = document.querySelector('[data-shortcut="' + event.key + '"]');
    if (target) {
      event.preventDefault();
      if (target.tagName === "BUTTON") { target.click(); } else { target.focus(); }
      return;
    }
    if (event.key === "g") { window.location.href = "/console"; return; }
    const rows = Array.from(document.querySelectorAll("tr[data-href]"));
    if (!rows.length) { return; }
    if (event.key === "j" || event.key === "k") {
      row = Math.max(0, Math.min(rows.length - 1, row + (event.key === "j" ? 1 : -1)));
      rows.forEach(function (r, i) { r.classList.toggle("selected", i === row); });
      rows[row].querySelector("a").focus();
    } else if (event.key === "x" && row >= 0) {
      const box = rows[row].querySelector('input[name="ticket_ids"]');
      if (box) { box.checked = !box.checked; }
    } else if (event.key === "Enter" && row >= 0) {
      window.location.href = rows[row].dataset.href;
    }
  });
}());
