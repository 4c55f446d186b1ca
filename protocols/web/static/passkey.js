// Passkey ceremonies for the consoles: buttons marked data-passkey="register" or
// data-passkey="sign-in" ask the server for options, let the browser talk to the
// authenticator, and post the result back with the page's CSRF token. No inline script:
// the pages' Content-Security-Policy allows scripts from /static only.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf"]');

  function decode(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(bytes, (c) => c.charCodeAt(0)).buffer;
  }

  function encode(buffer) {
    const text = String.fromCharCode(...new Uint8Array(buffer));
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function post(path, body) {
    const answer = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.content : ""},
      body: JSON.stringify(body),
    });
    const found = await answer.json().catch(() => ({error: answer.statusText}));
    if (!answer.ok) throw new Error(found.error || answer.statusText);
    return found;
  }

  function credentialsOf(list) {
    return (list || []).map((c) => Object.assign({}, c, {id: decode(c.id)}));
  }

  async function register() {
    const options = await post("/mfa/passkey/options", {purpose: "register"});
    options.challenge = decode(options.challenge);
    options.user.id = decode(options.user.id);
    options.excludeCredentials = credentialsOf(options.excludeCredentials);
    const made = await navigator.credentials.create({publicKey: options});
    const response = made.response;
    return post("/mfa/passkey/register", {
      id: made.id, rawId: encode(made.rawId), type: made.type, name: "passkey",
      response: {
        clientDataJSON: encode(response.clientDataJSON),
        attestationObject: encode(response.attestationObject),
        transports: response.getTransports ? response.getTransports() : [],
      },
    });
  }

  async function signIn() {
    const options = await post("/mfa/passkey/options", {purpose: "sign-in"});
    options.challenge = decode(options.challenge);
    options.allowCredentials = credentialsOf(options.allowCredentials);
    const used = await navigator.credentials.get({publicKey: options});
    const response = used.response;
    return post("/mfa/passkey/sign-in", {
      id: used.id, rawId: encode(used.rawId), type: used.type,
      response: {
        clientDataJSON: encode(response.clientDataJSON),
        authenticatorData: encode(response.authenticatorData),
        signature: encode(response.signature),
        userHandle: response.userHandle ? encode(response.userHandle) : null,
      },
    });
  }

  function showCodes(codes, next) {
    const main = document.querySelector("main");
    main.replaceChildren();
    const title = document.createElement("h1");
    title.textContent = "Recovery codes";
    const note = document.createElement("p");
    note.textContent = "Each code signs you in once if your passkey is lost. They are shown only now.";
    const list = document.createElement("ul");
    list.className = "codes";
    for (const code of codes) {
      const item = document.createElement("li");
      const text = document.createElement("code");
      text.textContent = code;
      item.append(text);
      list.append(item);
    }
    const onward = document.createElement("a");
    onward.href = next;
    onward.textContent = "Continue";
    main.append(title, note, list, onward);
  }

  for (const button of document.querySelectorAll("[data-passkey]")) {
    button.addEventListener("click", async () => {
      const status = document.querySelector("#passkey-status");
      try {
        const done = button.dataset.passkey === "register" ? await register() : await signIn();
        if (done.recovery_codes) showCodes(done.recovery_codes, done.next);
        else window.location.assign(done.next);
      } catch (problem) {
        if (status) status.textContent = "The passkey did not work: " + problem.message;
      }
    });
  }
})();
