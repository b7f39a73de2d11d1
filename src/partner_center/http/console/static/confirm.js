// The confirmation step of destructive buttons (kit/confirm.py): a button with data-confirm
// asks its question before HTMX sends the form, and the form then carries confirmed=1 so the
// server skips its own confirmation page. Without JavaScript the server asks instead.
document.addEventListener("htmx:confirm", function (event) {
  var trigger = event.detail.triggeringEvent;
  var button = trigger && trigger.submitter;
  var question = button && button.getAttribute("data-confirm");
  if (!question) {
    return;
  }
  event.preventDefault();
  if (!window.confirm(question)) {
    return;
  }
  var form = event.detail.elt;
  var mark = document.createElement("input");
  mark.type = "hidden";
  mark.name = "confirmed";
  mark.value = "1";
  form.appendChild(mark);
  try {
    event.detail.issueRequest(true);
  } finally {
    form.removeChild(mark);
  }
});
