// The local Slack client: sidebar, channels, threads, composer, App Home and modals for the chosen member.
import { getJSON, postJSON } from "./api.js";
import { HomeTab } from "./home.js";
import { renderChannel, renderThread } from "./messages.js";
import { ModalLayer } from "./modal.js";
import { h, openMenu, toast } from "./ui.js";

const POLL_TIMEOUT_S = 20;
const ICON = "/static/tickets-icon.svg";
const $ = (id) => document.getElementById(id);

class Workspace {
  constructor(boot) {
    this.boot = boot;
    this.users = new Map(boot.users.map((u) => [u.id, u]));
    this.channels = new Map(boot.channels.map((c) => [c.id, c]));
    this.ctx = {
      users: boot.users.filter((u) => !u.is_bot),
      channels: boot.channels,
      userName: (id) => {
        const user = this.users.get(id);
        return user ? user.real_name || user.name : null;
      },
      channelName: (id) => this.channels.get(id)?.name ?? null,
    };
    const params = new URLSearchParams(location.search);
    const wanted = params.get("user") || localStorage.getItem("workspace.user");
    this.me = this.users.has(wanted) ? wanted : boot.users[0].id;
    this.snapshot = null;
    this.version = 0;
    this.dismissed = new Set();
    this.thread = null;
    this.lastSeen = {};
    this.forceScroll = true;
    this.modals = new ModalLayer(this);
    this.home = new HomeTab(this);
    this.pollAbort = null;
    this.signatures = {};
  }

  // ---- routing ------------------------------------------------------------------------------

  get route() {
    const path = location.hash.replace(/^#\/?/, "");
    if (path.startsWith("app/")) return { kind: "app", tab: path.slice(4) === "messages" ? "messages" : "home" };
    const channel = this.channels.has(path) ? path : this.boot.channels[0].id;
    return { kind: "channel", channel };
  }

  get currentChannel() {
    const route = this.route;
    if (route.kind === "channel") return route.channel;
    return route.tab === "messages" ? this.boot.dm_channels[this.me] : null;
  }

  navigate(hash) {
    if (location.hash === hash) this.onRoute();
    else location.hash = hash;
  }

  onRoute() {
    const route = this.route;
    this.forceScroll = true;
    this.signatures = {};
    if (route.kind === "app") {
      this.home.opened();
      this.post("/ui/home", { tab: route.tab });
    }
    this.renderAll();
  }

  // ---- server ---------------------------------------------------------------------------------

  post(path, body) {
    return postJSON(path, { ...body, user: this.me }).then((outcome) => {
      if (outcome.error === "gone") outcome.error = "That message or view is no longer there.";
      return outcome;
    });
  }

  async action(body) {
    const outcome = await this.post("/ui/action", body);
    if (outcome.ok === false) toast(outcome.error || "That didn't work.");
    await this.refresh();
    return outcome;
  }

  suggest(body) {
    return this.post("/ui/suggest", body);
  }

  async refresh() {
    this.apply(await getJSON(`/ui/state?user=${encodeURIComponent(this.me)}`));
  }

  apply(snapshot) {
    if (!snapshot || snapshot.user_id !== this.me) return;
    if (this.snapshot && snapshot.version < this.snapshot.version) return;
    this.snapshot = snapshot;
    this.version = Math.max(this.version, snapshot.version);
    this.renderAll();
  }

  async pollLoop() {
    this.pollAbort?.abort();
    const abort = new AbortController();
    this.pollAbort = abort;
    while (!abort.signal.aborted) {
      try {
        const url = `/ui/poll?user=${encodeURIComponent(this.me)}&after=${this.version}&timeout=${POLL_TIMEOUT_S}`;
        this.apply(await getJSON(url, { signal: abort.signal }));
      } catch (error) {
        if (abort.signal.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  // ---- actions from the page ------------------------------------------------------------------

  async send(channel, text, threadTs) {
    const trimmed = text.trim();
    if (!trimmed) return;
    this.forceScroll = true;
    const outcome = trimmed.startsWith("/")
      ? await this.post("/ui/command", { channel, text: trimmed })
      : await this.post("/ui/message", { channel, text, thread_ts: threadTs ?? null });
    if (outcome.ok === false && outcome.error && outcome.error !== "unknown_command" && !trimmed.startsWith("/")) toast(outcome.error);
    await this.refresh();
  }

  async messageShortcut(channel, ts, callbackId) {
    const outcome = await this.post("/ui/shortcut", { channel, ts, callback_id: callbackId });
    if (outcome.ok === false) toast(outcome.error || "That shortcut didn't work.");
    await this.refresh();
  }

  async globalShortcut(callbackId) {
    const outcome = await this.post("/ui/shortcut", { callback_id: callbackId });
    if (outcome.ok === false) toast(outcome.error || "That shortcut didn't work.");
    await this.refresh();
  }

  openThread(channel, ts) {
    this.thread = { channel, ts };
    this.signatures.thread = null;
    this.renderAll();
    $("thread-input").focus();
  }

  closeThread() {
    this.thread = null;
    this.renderAll();
  }

  dismiss(ts) {
    this.dismissed.add(ts);
    this.signatures = {};
    this.renderAll();
  }

  switchUser(userId) {
    this.me = userId;
    localStorage.setItem("workspace.user", userId);
    const url = new URL(location.href);
    url.searchParams.set("user", userId);
    history.replaceState(null, "", url);
    this.snapshot = null;
    this.version = 0;
    this.dismissed = new Set();
    this.thread = null;
    this.lastSeen = {};
    this.signatures = {};
    this.modals.render([]);
    this.onRoute();
    this.refresh();
    this.pollLoop();
  }

  // ---- rendering ------------------------------------------------------------------------------

  changed(key, value) {
    const signature = JSON.stringify(value);
    if (this.signatures[key] === signature) return false;
    this.signatures[key] = signature;
    return true;
  }

  renderSidebar() {
    const route = this.route;
    const snapshot = this.snapshot;
    const unread = (channel) => {
      if (!snapshot || this.currentChannel === channel) return 0;
      const seen = this.lastSeen[channel] ?? 0;
      return (snapshot.messages[channel] ?? []).filter((m) => (!m.thread_ts || m.thread_ts === m.ts) && m.user !== this.me && Number.parseFloat(m.ts) > seen).length;
    };
    $("channel-list").replaceChildren(...this.boot.channels.map((c) => {
      const count = unread(c.id);
      return h("li", {}, h("a", {
        href: `#/${c.id}`,
        class: `side-item${route.kind === "channel" && route.channel === c.id ? " active" : ""}${count ? " unread" : ""}`,
        "aria-current": route.kind === "channel" && route.channel === c.id ? "page" : null,
      }, h("span", { class: "hash", text: "#" }), c.name, count ? h("span", { class: "badge", text: String(count) }) : null));
    }));
    const dmUnread = unread(this.boot.dm_channels[this.me]);
    $("app-list").replaceChildren(h("li", {}, h("a", {
      href: "#/app/home",
      class: `side-item${route.kind === "app" ? " active" : ""}${dmUnread ? " unread" : ""}`,
    }, h("img", { class: "app-dot", src: ICON, alt: "" }), this.boot.app.name, dmUnread ? h("span", { class: "badge", text: String(dmUnread) }) : null)));
  }

  renderHeader() {
    const route = this.route;
    const tabs = $("app-tabs");
    if (route.kind === "app") {
      $("pane-title").replaceChildren(h("img", { class: "app-dot", src: ICON, alt: "" }), ` ${this.boot.app.name}`, h("span", { class: "app-badge", text: "APP" }));
      $("pane-sub").textContent = "Manage ConnectWise tickets without leaving Slack";
      tabs.hidden = false;
      for (const tab of tabs.querySelectorAll(".tab")) {
        tab.classList.toggle("active", tab.dataset.tab === route.tab);
        tab.setAttribute("aria-selected", String(tab.dataset.tab === route.tab));
      }
    } else {
      const channel = this.channels.get(route.channel);
      $("pane-title").textContent = `# ${channel.name}`;
      $("pane-sub").textContent = channel.purpose || "";
      tabs.hidden = true;
    }
  }

  renderAll() {
    this.renderSidebar();
    this.renderHeader();
    const route = this.route;
    const snapshot = this.snapshot;
    const showHome = route.kind === "app" && route.tab === "home";
    $("home").hidden = !showHome;
    $("messages").hidden = showHome;
    $("composer").hidden = showHome;
    const channel = this.currentChannel;
    const placeholder = route.kind === "app" ? `Message ${this.boot.app.name}` : `Message #${this.channels.get(channel)?.name}`;
    $("composer-input").placeholder = placeholder;
    if (!snapshot) return;
    if (showHome) this.home.render(snapshot.home);
    else if (channel) {
      const messages = snapshot.messages[channel] ?? [];
      const eph = snapshot.ephemeral[channel] ?? [];
      if (this.changed("channel", [channel, messages, eph, [...this.dismissed]])) {
        const intro = route.kind === "app"
          ? [h("strong", { text: `${this.boot.app.name}` }), " — messages the app sends you appear here."]
          : [h("strong", { text: `This is the very beginning of #${this.channels.get(channel).name}` }), h("br"), "Type /tickets help, or hover a message and open ⋯ for the app's shortcuts."];
        renderChannel($("messages"), snapshot, channel, this, intro);
      }
      const newest = messages.reduce((max, m) => Math.max(max, Number.parseFloat(m.ts)), 0);
      this.lastSeen[channel] = Math.max(this.lastSeen[channel] ?? 0, newest);
    }
    const thread = this.thread;
    $("thread").hidden = !thread;
    if (thread) {
      const messages = (snapshot.messages[thread.channel] ?? []).filter((m) => m.ts === thread.ts || m.thread_ts === thread.ts);
      const eph = (snapshot.ephemeral[thread.channel] ?? []).filter((m) => m.thread_ts === thread.ts);
      if (this.changed("thread", [thread, messages, eph, [...this.dismissed]])) {
        $("thread-channel").textContent = this.channels.has(thread.channel) ? `#${this.channels.get(thread.channel).name}` : "";
        renderThread($("thread-messages"), snapshot, thread.channel, thread.ts, this);
      }
    }
    this.modals.render(snapshot.modals);
  }
}

function composer(form, input, app, target) {
  const hint = form.querySelector(".composer-hint");
  const grow = () => {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
  };
  input.addEventListener("input", () => {
    grow();
    if (!hint) return;
    const typing = input.value.startsWith("/") && !input.value.includes("\n");
    hint.hidden = !typing;
    if (typing) {
      hint.replaceChildren(...app.boot.commands.map((c) => h("div", { class: "hint-row" },
        h("strong", { text: c }), " ", h("span", { class: "muted", text: "[mine | search … | 1042 | new … | map | connect | help]" }),
        h("span", { class: "hint-app", text: app.boot.app.name }))));
    }
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value;
    const where = target();
    if (!text.trim() || !where) return;
    input.value = "";
    grow();
    if (hint) hint.hidden = true;
    await app.send(where.channel, text, where.threadTs);
  });
}

async function main() {
  const boot = await getJSON("/ui/bootstrap");
  const app = new Workspace(boot);
  window.workspace = app;
  document.title = `${boot.team.name} · Local Slack`;
  $("team-name").textContent = boot.team.name;
  $("team-name-search").textContent = boot.team.name;
  const switcher = $("user-switcher");
  for (const user of boot.users) {
    const role = user.is_admin ? " · admin" : "";
    switcher.append(h("option", { value: user.id, selected: user.id === app.me }, `${user.real_name}${role}`));
  }
  switcher.addEventListener("change", () => app.switchUser(switcher.value));
  for (const tab of document.querySelectorAll("#app-tabs .tab")) {
    tab.addEventListener("click", () => app.navigate(`#/app/${tab.dataset.tab}`));
  }
  $("thread-close").addEventListener("click", () => app.closeThread());
  $("shortcuts-button").addEventListener("click", () => {
    openMenu($("shortcuts-button"), [
      { heading: boot.app.name },
      ...boot.global_shortcuts.map((s) => ({ label: s.name, hint: s.description, onSelect: () => app.globalShortcut(s.callback_id) })),
    ], { label: "Shortcuts" });
  });
  composer($("composer"), $("composer-input"), app, () => (app.currentChannel ? { channel: app.currentChannel } : null));
  composer($("thread-composer"), $("thread-input"), app, () => (app.thread ? { channel: app.thread.channel, threadTs: app.thread.ts } : null));
  window.addEventListener("hashchange", () => app.onRoute());
  app.onRoute();
  await app.refresh();
  document.body.classList.add("ready");
  app.pollLoop();
}

main().catch((error) => {
  console.error(error);
  document.body.prepend(h("div", { class: "fatal", text: `The local workspace could not start: ${error.message}` }));
});
