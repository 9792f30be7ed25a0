// WorksHub's browser side: what must tick every second without asking the server.
// - the connection badge (connecting / live / reconnecting / offline) from NiceGUI's socket.io
//   connection, at once when the handshake finishes or the socket drops
// - "updated 3 s ago" from the data's computed_at
// - running timers' elapsed time (H:MM:SS)
// and what the server broadcasts once for everyone: `wh_live` (workshub/ui/broadcast.py)
(function () {
  // A list of messages, one per live key: {k: key, v: version, at: computed_at,
  // p: {region: patch}}.
  // Each element tagged data-wh-live="<region> <key>" takes its region's patch, unless it
  // already shows that version or a newer one (a reconnect's per-client update may have).
  function applyLive(msg) {
    if (typeof mounted_app === "undefined" || !mounted_app) return;
    const elements = mounted_app.elements;
    const at = Date.parse(msg.at || "");
    for (const id in elements) {
      const el = elements[id];
      const props = el && el.props;
      if (!props) continue;
      const updated = props["data-wh-updated"];
      if (updated !== undefined) {
        if (!isNaN(at) && !(Date.parse(updated) >= at)) props["data-wh-updated"] = msg.at;
        continue;
      }
      const tag = props["data-wh-live"];
      if (!tag) continue;
      const space = tag.indexOf(" ");
      if (tag.slice(space + 1) !== msg.k) continue;
      const patch = msg.p[tag.slice(0, space)];
      if (!patch || (props["data-wh-v"] || 0) >= msg.v) continue;
      for (const name in patch.props || {}) props[name] = patch.props[name];
      if (patch.style) el.style = Object.assign({}, el.style, patch.style);
      if (patch.text !== undefined) el.text = patch.text;
      props["data-wh-v"] = msg.v;
      if (patch.m) mounted_app.$nextTick(() => getElement(id)?.[patch.m]?.());
    }
  }

  // nicegui.js creates window.socket when the page mounts: listen from its first message on.
  let socket;
  Object.defineProperty(window, "socket", {
    configurable: true,
    get: () => socket,
    set: (value) => {
      socket = value;
      if (value && value.on) {
        value.on("wh_live", (messages) => messages.forEach(applyLive));
        value.on("disconnect", tick);
      }
    },
  });

  // nicegui.js sets did_handshake once the server has taken the page's socket: show "live" then,
  // not at the next tick (a page looked "reconnecting" for up to half a second after loading).
  let handshake = false;
  let everLive = false;
  Object.defineProperty(window, "did_handshake", {
    configurable: true,
    get: () => handshake,
    set: (value) => {
      handshake = value;
      everLive = everLive || value === true;
      tick();
    },
  });

  function connectionState() {
    if (!navigator.onLine) return "offline";
    const socket = window.socket;
    if (socket && socket.connected && window.did_handshake) return "live";
    if (!everLive) return "connecting"; // the page's first connection, not a lost one
    if (!socket) return "reconnecting";
    return socket.active ? "reconnecting" : "offline";
  }

  function ago(seconds) {
    if (seconds < 5) return "just now";
    if (seconds < 60) return Math.floor(seconds) + " s ago";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min ago";
    return Math.floor(seconds / 3600) + " h ago";
  }

  function hms(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    return h + ":" + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
  }

  let disconnectedSince = null;

  function tick() {
    const now = Date.now();
    let state = connectionState();
    if (state !== "live") {
      disconnectedSince = disconnectedSince || now;
      // a connection that has not come back for 30 s is offline, not reconnecting
      if (now - disconnectedSince > 30000) state = "offline";
    } else {
      disconnectedSince = null;
    }
    document.querySelectorAll("[data-wh-connection]").forEach((el) => {
      el.setAttribute("data-state", state);
      const label = el.querySelector("[data-testid=connection-status]");
      if (label && label.textContent !== state) label.textContent = state;
    });
    document.querySelectorAll("[data-wh-updated]").forEach((el) => {
      const at = Date.parse(el.getAttribute("data-wh-updated") || "");
      const text = isNaN(at) ? "" : "updated " + ago((now - at) / 1000);
      const target = el.querySelector(".wh-age") || el; // the header badge's own span
      if (target.textContent !== text) target.textContent = text;
    });
    document.querySelectorAll("[data-wh-since]").forEach((el) => {
      const since = Date.parse(el.getAttribute("data-wh-since") || "");
      const text = isNaN(since) ? "0:00:00" : hms((now - since) / 1000);
      if (el.textContent !== text) el.textContent = text;
    });
  }

  setInterval(tick, 500);
  window.addEventListener("online", tick);
  window.addEventListener("offline", tick);
  document.addEventListener("DOMContentLoaded", tick);
})();
