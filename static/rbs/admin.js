// Kill asks first, in the list and on a session's page: it ends Chrome for its owner and
// everyone watching.
document.addEventListener("click", (e) => {
  const button = e.target.closest(".rbs-kill");
  if (button && !window.confirm(button.dataset.confirm || "Kill this session?")) e.preventDefault();
});
