// The app's Home tab: renders the published home view and sends block_actions from it.
import { renderBlocks } from "./blocks.js";
import { captureFocus, restoreFocus } from "./modal.js";
import { h } from "./ui.js";
import { ValueStore } from "./values.js";

const EMPTY_AFTER_MS = 4000;

export class HomeTab {
  constructor(app) {
    this.app = app;
    this.container = document.getElementById("home");
    this.stores = new Map();
    this.signature = null;
    this.openedAt = 0;
  }

  opened() {
    this.openedAt = Date.now();
    this.signature = null;
  }

  render(view) {
    if (!view) {
      const waiting = Date.now() - this.openedAt < EMPTY_AFTER_MS;
      const signature = waiting ? "loading" : "empty";
      if (signature === this.signature) return;
      this.signature = signature;
      this.container.replaceChildren(h("div", { class: "home-empty" },
        waiting ? h("div", { class: "spinner", "aria-label": "Loading" }) : null,
        h("p", { class: "muted", text: waiting ? "Loading Home…" : "This app hasn't published a Home tab yet." })));
      if (waiting) setTimeout(() => this.render(this.app.snapshot?.home ?? null), EMPTY_AFTER_MS + 50);
      return;
    }
    const signature = `${view.id}:${view.hash}`;
    if (signature === this.signature) return;
    this.signature = signature;
    if (!this.stores.has(view.id)) this.stores.set(view.id, new ValueStore());
    const store = this.stores.get(view.id);
    const surface = {
      kind: "home",
      store,
      state: view.state?.values ?? {},
      ctx: this.app.ctx,
      act: (el, blockId, value) => this.app.action({ view_id: view.id, action_id: el.action_id, block_id: blockId, value, values: store.toJSON() }),
      suggest: (el, blockId, query) => this.app.suggest({ view_id: view.id, action_id: el.action_id, block_id: blockId, query, values: store.toJSON() }),
    };
    const focus = captureFocus(this.container);
    this.container.replaceChildren(h("div", { class: "home-view" }, renderBlocks(view.blocks, surface)));
    restoreFocus(this.container, focus);
  }
}
