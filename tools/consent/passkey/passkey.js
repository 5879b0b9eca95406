// qualys-cs-mcp: the passkey steps of a page. The button id="passkey"
// names the first step (data-begin, and data-csrf to send along); each
// answer says what comes next: create or get a credential with the
// options it carries and post it to "next", until the answer is final.
"use strict";
(() => {
  const dec = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)).buffer;
  const enc = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const ids = (list) => (list || []).map((c) => ({ ...c, id: dec(c.id) }));

  const creationOptions = (o) => ({ ...o, challenge: dec(o.challenge), user: { ...o.user, id: dec(o.user.id) }, excludeCredentials: ids(o.excludeCredentials) });
  const requestOptions = (o) => ({ ...o, challenge: dec(o.challenge), allowCredentials: ids(o.allowCredentials) });

  function credentialJSON(c) {
    const r = c.response;
    const out = {
      id: c.id, rawId: enc(c.rawId), type: c.type, authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults(), response: { clientDataJSON: enc(r.clientDataJSON) },
    };
    if (r.attestationObject) {
      out.response.attestationObject = enc(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = enc(r.authenticatorData);
      out.response.signature = enc(r.signature);
      if (r.userHandle) out.response.userHandle = enc(r.userHandle);
    }
    return out;
  }

  async function post(url, body) {
    const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: "same-origin", cache: "no-store" });
    try {
      return await res.json();
    } catch {
      return { message: "The server answered " + res.status + "; nothing was done." };
    }
  }

  // run takes every step from begin on; it returns the final answer.
  async function run(begin, csrf) {
    let url = new URL(begin, location.href);
    let r = await post(url, { csrf });
    while (r.next && (r.create || r.assert)) {
      const cred = r.create
        ? await navigator.credentials.create({ publicKey: creationOptions(r.create.publicKey) })
        : await navigator.credentials.get({ publicKey: requestOptions(r.assert.publicKey) });
      url = new URL(r.next, url);
      r = await post(url, { csrf, credential: credentialJSON(cred) });
    }
    return r;
  }

  window.qualysPasskey = { creationOptions, requestOptions, credentialJSON, post, run };

  document.addEventListener("DOMContentLoaded", () => {
    const button = document.getElementById("passkey");
    const state = document.getElementById("state");
    if (!button || !state) return;
    if (!window.PublicKeyCredential) {
      state.textContent = "This browser cannot use passkeys here; open the page in a current browser.";
      return;
    }
    button.addEventListener("click", async () => {
      button.disabled = true;
      state.textContent = "Waiting for your passkey…";
      delete state.dataset.done;
      let r;
      try {
        r = await run(button.dataset.begin, button.dataset.csrf || "");
      } catch (e) {
        r = { message: "No passkey was used (" + e.name + ": cancelled, timed out, or none of your passkeys is enrolled here); nothing was done. Try again." };
      }
      state.textContent = r.message || "";
      state.dataset.done = r.ok ? "ok" : "refused";
      if (r.ok && r.reload) location.reload();
      else button.disabled = !!r.ok;
    });
  });
})();
