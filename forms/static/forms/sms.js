// Sends the SMS code without reloading the page and counts down until a resend is allowed.
// Without this script the "Send code" button submits the form and the server re-renders it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-sms-form]");
  if (!form) { return; }
  var button = form.querySelector("[data-testid=send-code]");
  var message = form.querySelector("[data-testid=sms-message]");
  var challenge = form.querySelector("input[name=challenge_id]");
  if (!button) { return; }
  var label = button.textContent;
  var template = form.getAttribute("data-resend-label") || "%(seconds)s s";
  var timer = null;
  // Pages that send the code by reloading (rights requests, "My data") keep only the countdown.
  var reloadOnly = form.hasAttribute("data-sms-reload");

  function countdown(seconds) {
    var left = Math.max(0, parseInt(seconds, 10) || 0);
    if (timer) { clearInterval(timer); }
    if (!left) { button.disabled = false; button.textContent = label; return; }
    button.disabled = true;
    function tick() {
      if (left <= 0) {
        clearInterval(timer); timer = null;
        button.disabled = false; button.textContent = label;
        return;
      }
      button.textContent = template.replace("%(seconds)s", String(left));
      left -= 1;
    }
    tick();
    timer = setInterval(tick, 1000);
  }

  function show(text, isError) {
    if (!message) { return; }
    message.textContent = text || "";
    message.className = isError ? "help error" : "help";
  }

  function send(proof) {
    var data = new FormData(form);
    data.set("action", "send_code");
    if (proof) { data.set("pow", proof); }
    button.disabled = true;
    // form.action would be the buttons named "action", not the form's address.
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      var body = result.body || {};
      if (result.status === 200) {
        if (challenge) { challenge.value = body.challenge_id || ""; }
        show(body.message, false);
        countdown(body.resend_after);
        var code = form.querySelector("input[name=sms_code]");
        if (code) { code.focus(); }
        return;
      }
      var errors = body.errors || {};
      var first = (errors.mobile || errors.sms_code || [""])[0];
      if (result.status === 428 && body.pow && window.policyFormsPow && !proof) {
        // Several codes went to this number lately: solve the check, then ask once more.
        show(body.working || first, false);
        window.policyFormsPow.solve(body.pow).then(send, function () {
          show(first, true);
          countdown(body.retry_after);
        });
        return;
      }
      show(first, true);
      countdown(result.status === 429 || result.status === 428 ? body.retry_after : 0);
    }).catch(function () {
      button.disabled = false;
      form.requestSubmit ? form.requestSubmit(button) : form.submit();
    });
  }

  button.addEventListener("click", function (event) {
    if (reloadOnly || !window.fetch || !window.FormData) { return; }
    event.preventDefault();
    send(null);
  });

  if (button.hasAttribute("data-wait")) { countdown(button.getAttribute("data-wait")); }
}());
