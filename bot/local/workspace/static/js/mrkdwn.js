// Slack text objects -> safe HTML. Every piece of text is HTML-escaped; only our own tags are emitted.

const SLACK_ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };
const HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const EMOJI = {
  white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", warning: "⚠️", red_circle: "🔴",
  large_orange_circle: "🟠", large_yellow_circle: "🟡", large_green_circle: "🟢", large_blue_circle: "🔵",
  white_circle: "⚪", black_circle: "⚫", hourglass: "⌛", hourglass_flowing_sand: "⏳", mag: "🔍",
  memo: "📝", ticket: "🎫", zap: "⚡", bulb: "💡", link: "🔗", lock: "🔒", bust_in_silhouette: "👤",
  busts_in_silhouette: "👥", arrows_counterclockwise: "🔄", information_source: "ℹ️", tada: "🎉",
  wave: "👋", eyes: "👀", speech_balloon: "💬", pushpin: "📌", calendar: "📅", gear: "⚙️",
  wrench: "🔧", computer: "💻", office: "🏢", clipboard: "📋", inbox_tray: "📥", outbox_tray: "📤",
  heavy_plus_sign: "➕", heavy_minus_sign: "➖", arrow_right: "➡️", arrow_left: "⬅️", sparkles: "✨",
  no_entry: "⛔", construction: "🚧", thumbsup: "👍", "+1": "👍", fire: "🔥", rotating_light: "🚨",
  lock_with_ink_pen: "🔏", key: "🔑", electric_plug: "🔌", robot_face: "🤖", card_index: "📇",
};
const SAFE_URL = /^(https?:|mailto:)/i;

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

export function unescapeSlack(text) {
  return String(text ?? "").replace(/&(amp|lt|gt);/g, (m) => SLACK_ENTITIES[m]);
}

function emojify(html) {
  return html.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] ?? m);
}

// ctx.userName(id) and ctx.channelName(id) resolve mentions.
function controlSequence(body, ctx) {
  const [target, label] = splitOnce(body, "|");
  if (target.startsWith("@")) {
    const name = label || ctx.userName?.(target.slice(1)) || target.slice(1);
    return `<span class="mention">@${escapeHtml(unescapeSlack(name))}</span>`;
  }
  if (target.startsWith("#")) {
    const name = label || ctx.channelName?.(target.slice(1)) || target.slice(1);
    return `<span class="mention">#${escapeHtml(unescapeSlack(name))}</span>`;
  }
  if (target.startsWith("!")) {
    const word = target.slice(1);
    if (["here", "channel", "everyone"].includes(word)) return `<span class="mention broadcast">@${word}</span>`;
    if (word.startsWith("subteam^")) return `<span class="mention">${escapeHtml(unescapeSlack(label || "@group"))}</span>`;
    if (word.startsWith("date^")) return escapeHtml(unescapeSlack(label || word.split("^")[1] || ""));
    return escapeHtml(unescapeSlack(label || word));
  }
  const url = unescapeSlack(target);
  const text = escapeHtml(unescapeSlack(label || target));
  if (!SAFE_URL.test(url)) return text;
  return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${text}</a>`;
}

function splitOnce(text, sep) {
  const i = text.indexOf(sep);
  return i < 0 ? [text, ""] : [text.slice(0, i), text.slice(i + 1)];
}

// Slack's rules: a marker opens only after the start, a space or punctuation and before a visible
// character; it closes only after a visible character and before the end, a space or punctuation.
// A zero-width space counts as a space here (bot/text.py puts one on each side of a marker in user text
// so that it shows as a character; see its comment).
const VISIBLE = "[^\\s\\u200b]";
const format = (marker, tag) => [
  new RegExp(`(^|[^\\w${marker}])\\${marker}(?=${VISIBLE})([^${marker}\\n]*?${VISIBLE})\\${marker}(?![\\w])`, "g"),
  tag,
];
const FORMATS = [format("*", "b"), format("_", "i"), format("~", "s")];
const CODE = /`(?=[^\s\u200b`])([^`\n]*?[^\s\u200b`])`/g;

// Formatting inside ordinary text: control sequences become placeholders so formatting cannot split them.
function inline(text, ctx) {
  const held = [];
  const hold = (html) => `\u0000${held.push(html) - 1}\u0000`;
  let out = text.replace(CODE, (m) => hold(`<code>${escapeHtml(unescapeSlack(m.slice(1, -1)))}</code>`));
  out = out.replace(/<([^<>\n]+)>/g, (m, body) => hold(controlSequence(body, ctx)));
  out = emojify(escapeHtml(unescapeSlack(out)));
  for (const [re, tag] of FORMATS) {
    for (let i = 0; i < 3; i += 1) out = out.replace(re, `$1<${tag}>$2</${tag}>`);
  }
  out = out.replace(/\n/g, "<br>");
  return out.replace(/\u0000(\d+)\u0000/g, (m, i) => held[Number(i)]);
}

function quoted(text, ctx) {
  const lines = text.split("\n");
  const parts = [];
  let buffer = [];
  let inQuote = false;
  const flush = () => {
    if (!buffer.length) return;
    const html = inline(buffer.join("\n"), ctx);
    parts.push(inQuote ? `<blockquote>${html}</blockquote>` : html);
    buffer = [];
  };
  for (const line of lines) {
    const m = /^(?:&gt;|>)\s?(.*)$/.exec(line);
    if (Boolean(m) !== inQuote) {
      flush();
      inQuote = Boolean(m);
    }
    buffer.push(m ? m[1] : line);
  }
  flush();
  return parts.join("");
}

export function mrkdwn(text, ctx = {}) {
  const pieces = String(text ?? "").split(/```/);
  return pieces
    .map((piece, i) => {
      if (i % 2 === 1 && i < pieces.length - 1) {
        return `<pre>${escapeHtml(unescapeSlack(piece.replace(/^\n/, "")))}</pre>`;
      }
      return quoted(i % 2 === 1 ? "```" + piece : piece, ctx);
    })
    .join("");
}

export function plain(text, emoji = true) {
  const html = escapeHtml(text);
  return emoji ? emojify(html) : html;
}

// A Block Kit text object (plain_text or mrkdwn) -> HTML.
export function textObject(obj, ctx = {}) {
  if (!obj) return "";
  if (typeof obj === "string") return mrkdwn(obj, ctx);
  if (obj.type === "plain_text") return plain(obj.text, obj.emoji !== false);
  return mrkdwn(obj.text, ctx);
}

// A text object as plain text (labels of native controls, aria labels).
export function textOf(obj) {
  if (!obj) return "";
  if (typeof obj === "string") return unescapeSlack(obj);
  const raw = obj.type === "plain_text" ? obj.text : unescapeSlack(obj.text);
  return String(raw ?? "").replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] ?? m);
}
