// Block Kit elements -> live controls. Each control keeps the surface's ValueStore current and, when Slack
// would, sends the interaction (actions blocks, accessories, and input blocks with dispatch_action).
import { textObject, textOf } from "./mrkdwn.js";
import { confirmDialog, h, openMenu } from "./ui.js";
import { fromState, initialValue } from "./values.js";

const SEARCH_DELAY_MS = 250;

function busy(node, promise) {
  node.classList.add("is-loading");
  node.setAttribute("aria-busy", "true");
  Promise.resolve(promise).finally(() => {
    node.classList.remove("is-loading");
    node.removeAttribute("aria-busy");
  });
}

async function confirmed(el, surface) {
  return !el.confirm || confirmDialog(el.confirm, surface.ctx);
}

function placeholderText(el, fallback) {
  return textOf(el.placeholder) || fallback;
}

// The value a control starts with: in an input block, what the member typed (kept by Slack across
// updates) or the recorded state; elsewhere what the app's latest version of the surface says.
function adopt(el, blockId, surface) {
  if (!surface.inInput) return surface.store.adopt(blockId, el.action_id, initialValue(el), false);
  const recorded = fromState(surface.state?.[blockId]?.[el.action_id], el);
  return surface.store.adopt(blockId, el.action_id, recorded === undefined ? initialValue(el) : recorded);
}

function changed(el, blockId, surface, fires, value, node) {
  surface.store.set(blockId, el.action_id, value);
  surface.clearError?.(blockId);
  if (fires) busy(node, surface.act(el, blockId, value));
}

function button(el, blockId, surface) {
  const node = h("button", {
    type: "button",
    class: `bk-button${el.style ? ` ${el.style}` : ""}`,
    "data-action-id": el.action_id,
    "aria-label": el.accessibility_label,
    html: textObject(el.text, surface.ctx),
  });
  node.addEventListener("click", async () => {
    if (!(await confirmed(el, surface))) return;
    if (el.url) window.open(el.url, "_blank", "noopener");
    busy(node, surface.act(el, blockId, null));
  });
  return node;
}

function options(el) {
  if (el.option_groups) return el.option_groups.flatMap((g) => g.options ?? []);
  return el.options ?? [];
}

function nativeSelect(el, blockId, surface, fires, choices, label) {
  const current = adopt(el, blockId, surface);
  const multiple = el.type.startsWith("multi_");
  const select = h("select", { class: "bk-select", "aria-label": label, multiple, "data-action-id": el.action_id });
  if (!multiple) {
    select.append(h("option", { value: "", disabled: true, selected: current === null || current === undefined }, placeholderText(el, "Select an item")));
  }
  const chosen = new Set(multiple ? current ?? [] : [current]);
  const add = (parent, choice) => parent.append(h("option", { value: choice.value, selected: chosen.has(choice.value) }, choice.label));
  for (const group of choices) {
    if (group.group) {
      const optgroup = h("optgroup", { label: group.group });
      group.items.forEach((choice) => add(optgroup, choice));
      select.append(optgroup);
    } else add(select, group);
  }
  select.addEventListener("change", () => {
    const value = multiple ? [...select.selectedOptions].map((o) => o.value) : select.value;
    changed(el, blockId, surface, fires, value, select);
  });
  return select;
}

function staticChoices(el) {
  const toChoice = (o) => ({ value: o.value, label: textOf(o.text) });
  if (el.option_groups) return el.option_groups.map((g) => ({ group: textOf(g.label), items: (g.options ?? []).map(toChoice) }));
  return (el.options ?? []).map(toChoice);
}

function externalSelect(el, blockId, surface, fires, label) {
  let current = adopt(el, blockId, surface);
  const minLength = el.min_query_length ?? 3;
  const listId = `list-${Math.random().toString(36).slice(2)}`;
  const input = h("input", {
    type: "text",
    class: "bk-combo-input",
    role: "combobox",
    "aria-label": label,
    "aria-expanded": "false",
    "aria-controls": listId,
    "aria-autocomplete": "list",
    placeholder: placeholderText(el, "Search"),
    "data-action-id": el.action_id,
  });
  const list = h("ul", { class: "bk-combo-list", role: "listbox", id: listId, hidden: true });
  const status = h("div", { class: "bk-combo-status", hidden: true });
  const wrapper = h("div", { class: "bk-combo" }, input, list, status);
  const show = () => { input.value = current ? textOf(current.text) : ""; };
  show();
  let timer = null;
  let ticket = 0;
  const close = () => { list.hidden = true; status.hidden = true; input.setAttribute("aria-expanded", "false"); };
  const pick = (option) => {
    current = option;
    show();
    close();
    changed(el, blockId, surface, fires, option, wrapper);
  };
  const render = (answer) => {
    list.replaceChildren();
    const groups = answer.option_groups ?? [{ options: answer.options ?? [] }];
    let count = 0;
    for (const group of groups) {
      if (group.label) list.append(h("li", { class: "bk-combo-group", role: "presentation", text: textOf(group.label) }));
      for (const option of group.options ?? []) {
        count += 1;
        list.append(h("li", {
          class: "bk-combo-option",
          role: "option",
          onmousedown: (event) => { event.preventDefault(); pick(option); },
        }, h("span", { text: textOf(option.text) }), option.description ? h("span", { class: "bk-option-desc", text: textOf(option.description) }) : null));
      }
    }
    list.hidden = count === 0;
    input.setAttribute("aria-expanded", String(count > 0));
    status.hidden = count > 0;
    status.textContent = answer.ok === false ? answer.error || "Couldn't load options." : "No results";
  };
  const search = () => {
    const query = input.value;
    if (query.length < minLength) {
      list.hidden = true;
      status.hidden = false;
      status.textContent = `Type at least ${minLength} characters to search`;
      return;
    }
    const mine = ++ticket;
    status.hidden = false;
    status.textContent = "Searching…";
    surface.suggest(el, blockId, query).then((answer) => { if (mine === ticket) render(answer); });
  };
  input.addEventListener("focus", () => { input.select(); search(); });
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, SEARCH_DELAY_MS); });
  input.addEventListener("blur", () => setTimeout(() => { close(); show(); }, 150));
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { close(); show(); input.blur(); }
    if (event.key === "Enter") {
      event.preventDefault();
      const first = list.querySelector(".bk-combo-option");
      if (first) first.dispatchEvent(new MouseEvent("mousedown"));
    }
  });
  return wrapper;
}

function overflow(el, blockId, surface) {
  const node = h("button", { type: "button", class: "bk-overflow", "aria-label": "More options", "data-action-id": el.action_id, text: "⋯" });
  node.addEventListener("click", () => {
    openMenu(node, (el.options ?? []).map((option) => ({
      label: textOf(option.text),
      onSelect: async () => {
        if (!(await confirmed(el, surface))) return;
        if (option.url) window.open(option.url, "_blank", "noopener");
        busy(node, surface.act(el, blockId, option.value));
      },
    })), { label: "More options" });
  });
  return node;
}

function choiceList(el, blockId, surface, fires, kind) {
  const current = adopt(el, blockId, surface);
  const name = `${blockId}-${el.action_id}-${Math.random().toString(36).slice(2)}`;
  const group = h("div", { class: `bk-${kind}`, role: kind === "radio" ? "radiogroup" : "group", "data-action-id": el.action_id });
  for (const option of el.options ?? []) {
    const checked = kind === "radio" ? current === option.value : (current ?? []).includes(option.value);
    const input = h("input", { type: kind, name, value: option.value, checked });
    input.addEventListener("change", () => {
      const value = kind === "radio"
        ? option.value
        : [...group.querySelectorAll("input:checked")].map((i) => i.value);
      changed(el, blockId, surface, fires, value, group);
    });
    group.append(h("label", { class: "bk-choice" }, input,
      h("span", { class: "bk-choice-text" },
        h("span", { html: textObject(option.text, surface.ctx) }),
        option.description ? h("span", { class: "bk-option-desc", html: textObject(option.description, surface.ctx) }) : null)));
  }
  return group;
}

const INPUT_TYPES = { email_text_input: "email", url_text_input: "url", number_input: "number", datepicker: "date", timepicker: "time" };

function textInput(el, blockId, surface, fires, label) {
  const current = adopt(el, blockId, surface) ?? "";
  const multiline = el.type === "plain_text_input" && el.multiline;
  const attrs = {
    class: "bk-input",
    "aria-label": label,
    placeholder: el.placeholder ? textOf(el.placeholder) : undefined,
    maxlength: el.max_length,
    "data-action-id": el.action_id,
  };
  const node = multiline
    ? h("textarea", { ...attrs, rows: 4 })
    : h("input", { ...attrs, type: INPUT_TYPES[el.type] ?? "text", step: el.type === "number_input" && el.is_decimal_allowed ? "any" : undefined });
  node.value = current;
  const triggers = el.dispatch_action_config?.trigger_actions_on ?? ["on_enter_pressed"];
  let timer = null;
  node.addEventListener("input", () => {
    surface.store.set(blockId, el.action_id, node.value);
    surface.clearError?.(blockId);
    if (fires && triggers.includes("on_character_entered")) {
      clearTimeout(timer);
      timer = setTimeout(() => busy(node, surface.act(el, blockId, node.value)), 400);
    }
  });
  if (!multiline) {
    node.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      if (fires && triggers.includes("on_enter_pressed")) busy(node, surface.act(el, blockId, node.value));
    });
  }
  if (["datepicker", "timepicker"].includes(el.type)) {
    node.addEventListener("change", () => changed(el, blockId, surface, fires, node.value || null, node));
  }
  return node;
}

// el: the element; blockId: its block; fires: whether a change is sent to the app right away.
export function renderElement(el, blockId, parent, { fires = true, label = "", inInput = false } = {}) {
  const aria = label || placeholderText(el, el.action_id ?? el.type);
  const surface = { ...parent, inInput };
  switch (el.type) {
    case "button": return button(el, blockId, surface);
    case "static_select": case "multi_static_select":
      return nativeSelect(el, blockId, surface, fires, staticChoices(el), aria);
    case "users_select": case "multi_users_select":
      return nativeSelect(el, blockId, surface, fires, surface.ctx.users.map((u) => ({ value: u.id, label: u.real_name || u.name })), aria);
    case "conversations_select": case "channels_select": case "multi_conversations_select": case "multi_channels_select":
      return nativeSelect(el, blockId, surface, fires, surface.ctx.channels.map((c) => ({ value: c.id, label: `#${c.name}` })), aria);
    case "external_select": return externalSelect(el, blockId, surface, fires, aria);
    case "overflow": return overflow(el, blockId, surface);
    case "checkboxes": return choiceList(el, blockId, surface, fires, "checkbox");
    case "radio_buttons": return choiceList(el, blockId, surface, fires, "radio");
    case "plain_text_input": case "email_text_input": case "url_text_input": case "number_input":
    case "datepicker": case "timepicker":
      return textInput(el, blockId, surface, fires, aria);
    case "image": return h("img", { class: "bk-image-el", src: el.image_url, alt: el.alt_text ?? "" });
    default: return h("span", { class: "bk-unknown", text: `[${el.type} element]` });
  }
}

export const STATEFUL = new Set(["static_select", "multi_static_select", "external_select", "multi_external_select",
  "users_select", "multi_users_select", "conversations_select", "multi_conversations_select", "channels_select",
  "multi_channels_select", "checkboxes", "radio_buttons", "plain_text_input", "email_text_input", "url_text_input",
  "number_input", "datepicker", "timepicker", "datetimepicker"]);

export { options as allOptions };
