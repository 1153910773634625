// A button with data-confirm asks before it acts (Stop in the session list): ending a
// session closes Chrome for everyone watching.
document.addEventListener("click", (e) => {
  const button = e.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) e.preventDefault();
});
