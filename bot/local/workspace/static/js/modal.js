// The modal stack: shows the top view, keeps what the member typed per view, submits and closes like Slack.
import { renderBlocks } from "./blocks.js";
import { textObject, textOf } from "./mrkdwn.js";
import { h } from "./ui.js";
import { ValueStore } from "./values.js";

const REQUIRED = "Please complete this required field.";

function isEmpty(value) {
  return value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0);
}

// Remember which control had focus so an update from the app does not steal the caret.
export function captureFocus(root) {
  const active = document.activeElement;
  if (!active || !root.contains(active)) return null;
  const block = active.closest("[data-block-id]")?.dataset.blockId;
  const action = active.dataset.actionId ?? active.closest("[data-action-id]")?.dataset.actionId;
  if (!block || !action) return null;
  return { block, action, start: active.selectionStart, end: active.selectionEnd };
}

export function restoreFocus(root, focus) {
  if (!focus) return;
  const block = [...root.querySelectorAll("[data-block-id]")].find((n) => n.dataset.blockId === focus.block);
  const target = block && [...block.querySelectorAll("[data-action-id]")].find((n) => n.dataset.actionId === focus.action);
  const control = target?.matches("input, textarea, select, button") ? target : target?.querySelector("input, textarea, select, button");
  if (!control) return;
  control.focus();
  if (focus.start !== null && focus.start !== undefined && "setSelectionRange" in control) {
    try { control.setSelectionRange(focus.start, focus.end); } catch { /* not a text control */ }
  }
}

export class ModalLayer {
  constructor(app) {
    this.app = app;
    this.root = document.getElementById("modal-root");
    this.stores = new Map();
    this.errors = new Map();
    this.node = null;
    this.signature = "";
    this.banner = null;
  }

  store(viewId) {
    if (!this.stores.has(viewId)) this.stores.set(viewId, new ValueStore());
    return this.stores.get(viewId);
  }

  render(stack) {
    const open = new Set(stack.map((v) => v.id));
    for (const id of [...this.stores.keys()]) if (!open.has(id)) this.stores.delete(id);
    if (!stack.length) {
      this.node?.remove();
      this.node = null;
      this.signature = "";
      return;
    }
    const view = stack[stack.length - 1];
    const signature = `${view.id}:${view.hash}:${stack.length}:${JSON.stringify(this.errors.get(view.id) ?? {})}:${this.banner ?? ""}`;
    if (signature === this.signature && this.node) return;
    this.signature = signature;
    const focus = this.node ? captureFocus(this.node) : null;
    // An update of the same view keeps the member's place in it; a new view starts at the top.
    const scroll = view.id === this.focusedView ? this.node?.querySelector(".modal-body")?.scrollTop ?? 0 : 0;
    const fresh = this.build(view, stack.length > 1);
    if (this.node) this.node.replaceWith(fresh); else this.root.append(fresh);
    this.node = fresh;
    fresh.querySelector(".modal-body").scrollTop = scroll;
    if (focus) restoreFocus(fresh, focus);
    else {
      // Like Slack, put the caret in the first field when it is a text field (never open a select).
      const first = fresh.querySelector(".modal-body input, .modal-body textarea, .modal-body select");
      if (first?.matches(".bk-input") && view.id !== this.focusedView) first.focus({ preventScroll: true });
    }
    this.focusedView = view.id;
  }

  surface(view) {
    const store = this.store(view.id);
    const errors = this.errors.get(view.id) ?? {};
    return {
      kind: "modal",
      store,
      state: view.state?.values ?? {},
      ctx: this.app.ctx,
      errors,
      clearError: (blockId) => {
        if (!errors[blockId]) return;
        delete errors[blockId];
        const block = this.node?.querySelector(`[data-block-id="${CSS.escape(blockId)}"]`);
        block?.classList.remove("has-error");
        const message = block?.querySelector(".bk-error");
        if (message) message.hidden = true;
      },
      act: (el, blockId, value) => this.app.action({ view_id: view.id, action_id: el.action_id, block_id: blockId, value, values: store.toJSON() }),
      suggest: (el, blockId, query) => this.app.suggest({ view_id: view.id, action_id: el.action_id, block_id: blockId, query, values: store.toJSON() }),
    };
  }

  build(view, pushed) {
    const surface = this.surface(view);
    const title = textOf(view.title) || "App";
    const body = renderBlocks(view.blocks, surface);
    const submitButton = view.submit
      ? h("button", { type: "submit", class: "btn primary" }, textOf(view.submit))
      : null;
    const form = h("form", { class: "modal", role: "dialog", "aria-modal": "true", "aria-label": title, novalidate: true },
      h("header", { class: "modal-header" },
        pushed ? h("button", { type: "button", class: "icon-btn modal-back", "aria-label": "Back", onclick: () => this.close(view, false) }, "←") : null,
        h("img", { class: "modal-app", src: "/static/tickets-icon.svg", alt: "" }),
        h("h2", { class: "modal-title", html: textObject(view.title) || "App" }),
        h("button", { type: "button", class: "icon-btn modal-x", "aria-label": "Close modal", title: "Close", onclick: () => this.close(view, true) }, "✕")),
      this.banner ? h("div", { class: "modal-banner", role: "alert", text: this.banner }) : null,
      h("div", { class: "modal-body" }, body),
      h("footer", { class: "modal-footer" },
        h("button", { type: "button", class: "btn", onclick: () => this.close(view, false) }, textOf(view.close) || (view.submit ? "Cancel" : "Close")),
        submitButton));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit(view, surface, submitButton);
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !document.querySelector(".menu, .confirm")) this.close(view, true);
    });
    return h("div", { class: "backdrop" }, form);
  }

  validate(view, store) {
    const errors = {};
    for (const block of view.blocks ?? []) {
      if (block.type !== "input" || !block.block_id || !block.element?.action_id) continue;
      const value = store.get(block.block_id, block.element.action_id);
      if (!block.optional && isEmpty(value)) errors[block.block_id] = REQUIRED;
      else if (block.element.min_length && typeof value === "string" && value.length && value.length < block.element.min_length) {
        errors[block.block_id] = `Please enter at least ${block.element.min_length} characters.`;
      }
    }
    return errors;
  }

  async submit(view, surface, button) {
    const local = this.validate(view, surface.store);
    this.banner = null;
    if (Object.keys(local).length) {
      this.errors.set(view.id, local);
      this.signature = "";
      this.render(this.app.snapshot.modals);
      return;
    }
    button?.classList.add("is-loading");
    button?.setAttribute("disabled", "");
    const outcome = await this.app.post("/ui/submit", { view_id: view.id, values: surface.store.toJSON() });
    button?.classList.remove("is-loading");
    button?.removeAttribute("disabled");
    if (outcome.errors) this.errors.set(view.id, outcome.errors);
    else this.errors.delete(view.id);
    if (outcome.ok === false && !outcome.errors) this.banner = outcome.error || "Something went wrong.";
    this.signature = "";
    await this.app.refresh();
  }

  async close(view, clear) {
    this.banner = null;
    this.errors.delete(view.id);
    await this.app.post("/ui/close", { view_id: view.id, clear });
    await this.app.refresh();
  }
}
