// Channel messages, threads and ephemeral messages, each rendered with its blocks and a hover menu.
import { messageText, renderBlocks } from "./blocks.js";
import { h, initials, openMenu, timeOf } from "./ui.js";
import { ValueStore } from "./values.js";

function author(message, app) {
  if (message.slackbot) return { name: "Slackbot", avatar: "🤖", bot: true };
  if (message.bot_id || message.user === app.boot.app.bot_user_id) return { name: app.boot.app.name, avatar: "🎫", bot: true };
  const user = app.users.get(message.user);
  return { name: user ? user.real_name || user.name : message.user, avatar: initials(user?.real_name || message.user), bot: false, id: message.user };
}

function surfaceFor(message, channel, app) {
  const store = new ValueStore();
  return {
    kind: "message",
    store,
    state: {},
    ctx: app.ctx,
    act: (el, blockId, value) => app.action({ channel, ts: message.ts, action_id: el.action_id, block_id: blockId, value, values: store.toJSON() }),
    suggest: (el, blockId, query) => app.suggest({ channel, ts: message.ts, action_id: el.action_id, block_id: blockId, query }),
  };
}

export function renderMessage(message, { app, channel, ephemeral = false, inThread = false }) {
  const who = author(message, app);
  const surface = surfaceFor(message, channel, app);
  const body = message.blocks?.length ? renderBlocks(message.blocks, surface) : messageText(message, app.ctx);
  const meta = h("div", { class: "msg-meta" },
    h("span", { class: "msg-author", text: who.name }),
    who.bot && !message.slackbot ? h("span", { class: "app-badge", text: "APP" }) : null,
    h("time", { class: "msg-time", datetime: message.ts, text: timeOf(message.ts) }),
    message.edited ? h("span", { class: "msg-edited", text: "(edited)" }) : null);
  const main = h("div", { class: "msg-main" }, meta, h("div", { class: "msg-body" }, body), ...attachmentsOf(message, channel, app));
  if (ephemeral) {
    main.append(h("div", { class: "only-you" }, "👁 Only visible to you · ",
      h("button", { type: "button", class: "link-btn", onclick: () => app.dismiss(message.ts) }, "Dismiss")));
  }
  if (!inThread && !ephemeral && message.reply_count) {
    main.append(h("button", {
      type: "button",
      class: "replies",
      onclick: () => app.openThread(channel, message.ts),
    }, `${message.reply_count} ${message.reply_count === 1 ? "reply" : "replies"}`, h("span", { class: "replies-last", text: ` · last reply ${timeOf(message.latest_reply ?? message.ts)}` })));
  }
  const node = h("article", {
    class: `msg${ephemeral ? " ephemeral" : ""}${who.bot ? " from-app" : ""}`,
    "data-ts": message.ts,
    "aria-label": `Message from ${who.name}`,
  }, who.bot && !message.slackbot
    ? h("img", { class: "avatar app", src: "/static/tickets-icon.svg", alt: "" })
    : h("div", { class: `avatar${who.bot ? " app" : ""}`, "aria-hidden": "true", text: who.avatar }), main);
  if (!ephemeral) node.append(hoverMenu(message, channel, app, inThread));
  return node;
}

function hostOf(url) {
  try { return new URL(url).host; } catch { return url; }
}

// Legacy attachments and link previews (chat.unfurl), drawn under the message as Slack does: a grey
// bar on the left, the site's host, then the preview's blocks (or its title and text).
function attachment(item, surface, app, url) {
  const content = item.blocks?.length
    ? renderBlocks(item.blocks, surface)
    : [item.title ? h("div", { class: "attachment-title", text: item.title }) : null,
       item.text ? messageText({ text: item.text }, app.ctx) : null];
  return h("div", {
    class: `attachment${url ? " unfurl" : ""}`,
    "data-url": url ?? "",
    style: item.color ? `border-left-color: ${item.color.startsWith("#") ? item.color : `#${item.color}`}` : null,
  }, url ? h("div", { class: "unfurl-host", text: hostOf(url) }) : null, ...[content].flat());
}

function attachmentsOf(message, channel, app) {
  // Each preview keeps its own element values, apart from the message's.
  const items = (message.attachments ?? []).map((a) => attachment(a, surfaceFor(message, channel, app), app, null));
  for (const [url, preview] of Object.entries(message.unfurls ?? {})) {
    items.push(attachment(preview, surfaceFor(message, channel, app), app, url));
  }
  return items;
}

function hoverMenu(message, channel, app, inThread) {
  const more = h("button", { type: "button", class: "icon-btn", "aria-label": "More actions", title: "More actions" }, "⋯");
  more.addEventListener("click", () => {
    openMenu(more, [
      { heading: app.boot.app.name },
      ...app.boot.message_shortcuts.map((s) => ({
        label: s.name,
        hint: s.description,
        onSelect: () => app.messageShortcut(channel, message.ts, s.callback_id),
      })),
    ], { label: "Message actions" });
  });
  const reply = inThread ? null : h("button", {
    type: "button", class: "icon-btn", "aria-label": "Reply in thread", title: "Reply in thread",
    onclick: () => app.openThread(channel, message.thread_ts || message.ts),
  }, "💬");
  return h("div", { class: "msg-hover" }, reply, more);
}

function visible(list, app) {
  return list.filter((m) => !app.dismissed.has(m.ts));
}

export function channelMessages(snapshot, channel) {
  const all = snapshot.messages[channel] ?? [];
  const top = all.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  const ephemeral = (snapshot.ephemeral[channel] ?? []).filter((m) => !m.thread_ts);
  return { top, ephemeral };
}

export function renderChannel(container, snapshot, channel, app, intro) {
  const { top, ephemeral } = channelMessages(snapshot, channel);
  const items = [
    ...top.map((m) => ({ m, ephemeral: false })),
    ...visible(ephemeral, app).map((m) => ({ m, ephemeral: true })),
  ].sort((a, b) => Number.parseFloat(a.m.ts) - Number.parseFloat(b.m.ts));
  const wasAtBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
  container.replaceChildren(
    h("div", { class: "channel-intro" }, intro),
    ...items.map(({ m, ephemeral: eph }) => renderMessage(m, { app, channel, ephemeral: eph })),
  );
  if (wasAtBottom || app.forceScroll) container.scrollTop = container.scrollHeight;
  app.forceScroll = false;
}

export function renderThread(container, snapshot, channel, threadTs, app) {
  const all = snapshot.messages[channel] ?? [];
  const parent = all.find((m) => m.ts === threadTs);
  const replies = all.filter((m) => m.thread_ts === threadTs && m.ts !== threadTs);
  const ephemeral = visible((snapshot.ephemeral[channel] ?? []).filter((m) => m.thread_ts === threadTs), app);
  const items = [
    ...replies.map((m) => ({ m, ephemeral: false })),
    ...ephemeral.map((m) => ({ m, ephemeral: true })),
  ].sort((a, b) => Number.parseFloat(a.m.ts) - Number.parseFloat(b.m.ts));
  container.replaceChildren(
    parent ? renderMessage(parent, { app, channel, inThread: true }) : h("p", { class: "muted", text: "This message was deleted." }),
    h("div", { class: "thread-count", text: `${replies.length} ${replies.length === 1 ? "reply" : "replies"}` }),
    ...items.map(({ m, ephemeral: eph }) => renderMessage(m, { app, channel, ephemeral: eph, inThread: true })),
  );
  container.scrollTop = container.scrollHeight;
}
