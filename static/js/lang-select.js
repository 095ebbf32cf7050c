// Submit the language form as soon as a language is picked (no inline handler: CSP).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) {
    select.form.submit();
  }
});
