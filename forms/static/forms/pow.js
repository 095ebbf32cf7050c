// CAPTCHA-free proof-of-work: when the server asks for one (a number or address had several
// messages lately), the browser solves the signed challenge with the vendored ALTCHA library
// and sends the form again with the solution in the "pow" field. Nothing to click or read.
// The library is loaded only when a challenge is given. Without JavaScript the page says
// when to try again.
(function () {
  "use strict";
  var script = document.currentScript;
  var libUrl = script ? script.getAttribute("data-pow-lib") : "";
  var loading = null;

  function loadLib() {
    if (window.plibow) { return Promise.resolve(window.plibow); }
    if (loading) { return loading; }
    loading = new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = libUrl;
      tag.onload = function () { window.plibow ? resolve(window.plibow) : reject(new Error("pow library")); };
      tag.onerror = function () { reject(new Error("pow library")); };
      document.head.appendChild(tag);
    });
    return loading;
  }

  // Resolves to the payload the server expects (base64 JSON of challenge and solution).
  function solve(challenge) {
    return loadLib().then(function (lib) {
      var name = String((challenge.parameters || {}).algorithm || "").toUpperCase();
      var kdf = name.indexOf("PBKDF2") === 0 ? lib.pbkdf2 : name.indexOf("SHA") === 0 ? lib.sha : null;
      if (!kdf) { throw new Error("unsupported algorithm"); }
      return lib.solveChallenge({ challenge: challenge, deriveKey: kdf.deriveKey, timeout: 90000 });
    }).then(function (solution) {
      if (!solution) { throw new Error("not solved"); }
      return window.btoa(JSON.stringify({ challenge: challenge, solution: solution }));
    });
  }

  window.policyFormsPow = { solve: solve };

  function autoSolve(input) {
    var challenge;
    try { challenge = JSON.parse(input.getAttribute("data-pow-challenge")); } catch (e) { return; }
    var form = input.form;
    if (!form || !window.crypto || !window.crypto.subtle) { return; }
    var status = form.querySelector("[data-pow-status]");
    if (status) { status.hidden = false; }
    solve(challenge).then(function (payload) {
      input.value = payload;
      // Send the form again as its "send code" button would (the button may be counting down).
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "action";
      hidden.value = input.getAttribute("data-pow-action") || "send_code";
      form.appendChild(hidden);
      HTMLFormElement.prototype.submit.call(form);
    }).catch(function () {
      if (status) { status.hidden = true; }
    });
  }

  function start() {
    var inputs = document.querySelectorAll("input[data-pow-challenge]");
    for (var i = 0; i < inputs.length; i += 1) { autoSolve(inputs[i]); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
