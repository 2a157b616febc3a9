// Block Kit blocks -> DOM. Unknown blocks become a small placeholder and never break the page.
import { renderElement } from "./elements.js";
import { escapeHtml, plain, textObject, textOf, unescapeSlack } from "./mrkdwn.js";
import { h } from "./ui.js";

function section(block, surface) {
  const body = h("div", { class: "bk-section-body" });
  if (block.text) body.append(h("div", { class: "bk-text", html: textObject(block.text, surface.ctx) }));
  if (block.fields?.length) {
    body.append(h("div", { class: "bk-fields" }, block.fields.map((f) => h("div", { class: "bk-field", html: textObject(f, surface.ctx) }))));
  }
  const node = h("div", { class: "bk-section" }, body);
  if (block.accessory) {
    const accessory = block.accessory.type === "image"
      ? h("img", { class: "bk-accessory-image", src: block.accessory.image_url, alt: block.accessory.alt_text ?? "" })
      : renderElement(block.accessory, block.block_id, surface, { label: textOf(block.text) });
    node.append(h("div", { class: "bk-accessory" }, accessory));
  }
  return node;
}

function context(block, surface) {
  return h("div", { class: "bk-context" }, (block.elements ?? []).map((el) => (el.type === "image"
    ? h("img", { class: "bk-context-image", src: el.image_url, alt: el.alt_text ?? "" })
    : h("span", { class: "bk-context-text", html: textObject(el, surface.ctx) }))));
}

function actions(block, surface) {
  return h("div", { class: "bk-actions" }, (block.elements ?? []).map((el) => renderElement(el, block.block_id, surface)));
}

function input(block, surface) {
  const label = textOf(block.label);
  const error = surface.errors?.[block.block_id];
  const node = h("div", { class: `bk-input-block${error ? " has-error" : ""}`, "data-block-id": block.block_id },
    h("label", { class: "bk-label" }, h("span", { text: label }), block.optional ? h("span", { class: "bk-optional", text: " (optional)" }) : null),
    renderElement(block.element, block.block_id, surface, { fires: Boolean(block.dispatch_action), label, inInput: true }));
  if (block.hint) node.append(h("div", { class: "bk-hint", html: textObject(block.hint, surface.ctx) }));
  node.append(h("div", { class: "bk-error", role: "alert", text: error ?? "", hidden: !error }));
  return node;
}

function image(block) {
  return h("figure", { class: "bk-image" },
    block.title ? h("figcaption", { html: textObject(block.title) }) : null,
    h("img", { src: block.image_url, alt: block.alt_text ?? "" }));
}

function richInline(el, ctx) {
  switch (el.type) {
    case "text": {
      let html = plain(el.text).replace(/\n/g, "<br>");
      const s = el.style ?? {};
      if (s.code) html = `<code>${html}</code>`;
      if (s.bold) html = `<b>${html}</b>`;
      if (s.italic) html = `<i>${html}</i>`;
      if (s.strike) html = `<s>${html}</s>`;
      return html;
    }
    case "link": {
      const text = escapeHtml(el.text || el.url);
      return /^(https?:|mailto:)/i.test(el.url ?? "") ? `<a href="${escapeHtml(el.url)}" target="_blank" rel="noopener noreferrer">${text}</a>` : text;
    }
    case "user": return `<span class="mention">@${escapeHtml(ctx.userName?.(el.user_id) ?? el.user_id)}</span>`;
    case "channel": return `<span class="mention">#${escapeHtml(ctx.channelName?.(el.channel_id) ?? el.channel_id)}</span>`;
    case "usergroup": return `<span class="mention">@${escapeHtml(el.usergroup_id)}</span>`;
    case "broadcast": return `<span class="mention broadcast">@${escapeHtml(el.range)}</span>`;
    case "emoji": return el.unicode ? String.fromCodePoint(...el.unicode.split("-").map((c) => Number.parseInt(c, 16))) : plain(`:${el.name}:`);
    case "date": return escapeHtml(el.fallback ?? "");
    case "color": return escapeHtml(el.value ?? "");
    default: return "";
  }
}

function richText(block, surface) {
  const ctx = surface.ctx;
  const inline = (els) => (els ?? []).map((el) => richInline(el, ctx)).join("");
  const part = (el) => {
    switch (el.type) {
      case "rich_text_section": return `<div>${inline(el.elements)}</div>`;
      case "rich_text_preformatted": return `<pre>${inline(el.elements)}</pre>`;
      case "rich_text_quote": return `<blockquote>${inline(el.elements)}</blockquote>`;
      case "rich_text_list": {
        const tag = el.style === "ordered" ? "ol" : "ul";
        return `<${tag} style="margin-left:${(el.indent ?? 0) * 20}px">${(el.elements ?? []).map((i) => `<li>${inline(i.elements)}</li>`).join("")}</${tag}>`;
      }
      default: return "";
    }
  };
  return h("div", { class: "bk-rich", html: (block.elements ?? []).map(part).join("") });
}

function markdown(block) {
  // The "markdown" block speaks standard Markdown; a light touch keeps it readable.
  const html = escapeHtml(unescapeSlack(block.text ?? ""))
    .replace(/\*\*(.+?)\*\*/g, "<b>$1</b>")
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\n/g, "<br>");
  return h("div", { class: "bk-text", html });
}

const RENDERERS = {
  section,
  context,
  actions,
  input,
  image,
  rich_text: richText,
  markdown,
  header: (block, surface) => h("h3", { class: "bk-header", html: textObject(block.text, surface.ctx) }),
  divider: () => h("hr", { class: "bk-divider" }),
};

export function renderBlocks(blocks, surface) {
  const container = h("div", { class: "bk" });
  surface.store.beginRender();
  for (const block of blocks ?? []) {
    const render = RENDERERS[block?.type];
    let node;
    try {
      node = render ? render(block, surface) : h("div", { class: "bk-unknown", text: `Unsupported block: ${block?.type}` });
    } catch (error) {
      console.error("could not render block", block, error);
      node = h("div", { class: "bk-unknown", text: `Could not show a ${block?.type} block` });
    }
    if (block?.block_id) node.dataset.blockId = block.block_id;
    container.append(node);
  }
  surface.store.endRender();
  return container;
}

// Text of a message without blocks (or its fallback), as Slack shows it.
export function messageText(message, ctx) {
  return h("div", { class: "bk-text", html: textObject({ type: "mrkdwn", text: message.text ?? "" }, ctx) });
}
