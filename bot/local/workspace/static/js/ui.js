// Small DOM helpers shared by the workspace: element creation, popup menus, toasts, confirm dialogs.
import { textObject, textOf } from "./mrkdwn.js";

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "html") node.innerHTML = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let openMenuState = null;

export function closeMenu() {
  if (!openMenuState) return;
  openMenuState.node.remove();
  document.removeEventListener("mousedown", openMenuState.outside, true);
  document.removeEventListener("keydown", openMenuState.escape, true);
  openMenuState = null;
}

// items: [{label, hint?, onSelect, danger?} | {heading}]
export function openMenu(anchor, items, { label = "Menu" } = {}) {
  closeMenu();
  const menu = h("div", { class: "menu", role: "menu", "aria-label": label });
  for (const item of items) {
    if (item.heading) {
      menu.append(h("div", { class: "menu-heading", text: item.heading }));
      continue;
    }
    const button = h("button", {
      type: "button",
      class: `menu-item${item.danger ? " danger" : ""}`,
      role: "menuitem",
      onclick: (event) => {
        event.stopPropagation();
        closeMenu();
        item.onSelect();
      },
    }, h("span", { class: "menu-label", text: item.label }), item.hint ? h("span", { class: "menu-hint", text: item.hint }) : null);
    menu.append(button);
  }
  document.getElementById("menu-root").append(menu);
  const rect = anchor.getBoundingClientRect();
  const width = menu.offsetWidth;
  const height = menu.offsetHeight;
  const left = Math.max(8, Math.min(rect.right - width, window.innerWidth - width - 8));
  const below = rect.bottom + 4;
  menu.style.left = `${left}px`;
  menu.style.top = `${below + height > window.innerHeight - 8 ? Math.max(8, rect.top - height - 4) : below}px`;
  const outside = (event) => {
    if (!menu.contains(event.target)) closeMenu();
  };
  const escape = (event) => {
    if (event.key === "Escape") closeMenu();
  };
  document.addEventListener("mousedown", outside, true);
  document.addEventListener("keydown", escape, true);
  openMenuState = { node: menu, outside, escape };
  menu.querySelector("button")?.focus();
}

export function toast(message, kind = "error") {
  const node = h("div", { class: `toast ${kind}`, text: message });
  document.getElementById("toast-root").append(node);
  setTimeout(() => node.remove(), 6000);
}

// A Block Kit confirmation dialog object -> Promise<boolean>.
export function confirmDialog(confirm, ctx) {
  return new Promise((resolve) => {
    const done = (answer) => {
      backdrop.remove();
      resolve(answer);
    };
    const style = confirm.style === "danger" ? "danger" : "primary";
    const dialog = h("div", { class: "confirm", role: "alertdialog", "aria-label": textOf(confirm.title) || "Are you sure?" },
      h("h3", { html: textObject(confirm.title, ctx) || "Are you sure?" }),
      h("div", { class: "confirm-text", html: textObject(confirm.text, ctx) }),
      h("div", { class: "confirm-actions" },
        h("button", { type: "button", class: "btn", onclick: () => done(false) }, textOf(confirm.deny) || "Cancel"),
        h("button", { type: "button", class: `btn ${style}`, onclick: () => done(true) }, textOf(confirm.confirm) || "Yes")));
    const backdrop = h("div", { class: "backdrop confirm-backdrop" }, dialog);
    document.getElementById("modal-root").append(backdrop);
    dialog.querySelector(`.btn.${style}`).focus();
  });
}

export function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/);
  return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

export function timeOf(ts) {
  const date = new Date(Number.parseFloat(ts) * 1000);
  return date.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
}
