// What a member has typed or picked in one surface, in the simple shape the server turns into state.values.

const SELECT_ONE = new Set(["static_select", "radio_buttons"]);
const SELECT_MANY = new Set(["multi_static_select", "checkboxes"]);

export function initialValue(el) {
  switch (el.type) {
    case "plain_text_input": case "email_text_input": case "url_text_input": case "number_input":
      return el.initial_value ?? "";
    case "static_select": case "radio_buttons":
      return el.initial_option?.value ?? null;
    case "external_select":
      return el.initial_option ?? null;
    case "multi_static_select": case "checkboxes":
      return (el.initial_options ?? []).map((o) => o.value);
    case "multi_external_select":
      return el.initial_options ?? [];
    case "users_select": return el.initial_user ?? null;
    case "multi_users_select": return el.initial_users ?? [];
    case "conversations_select": return el.initial_conversation ?? null;
    case "multi_conversations_select": return el.initial_conversations ?? [];
    case "channels_select": return el.initial_channel ?? null;
    case "multi_channels_select": return el.initial_channels ?? [];
    case "datepicker": return el.initial_date ?? null;
    case "timepicker": return el.initial_time ?? null;
    case "datetimepicker": return el.initial_date_time ?? null;
    default: return null;
  }
}

// A Slack state.values entry -> the simple value (undefined when the entry says nothing).
export function fromState(entry, el) {
  if (!entry) return undefined;
  if ("value" in entry) return entry.value ?? "";
  if ("selected_option" in entry) {
    const option = entry.selected_option;
    if (!option) return null;
    return SELECT_ONE.has(el.type) ? option.value : option;
  }
  if ("selected_options" in entry) {
    const options = entry.selected_options ?? [];
    return SELECT_MANY.has(el.type) ? options.map((o) => o.value) : options;
  }
  for (const field of ["selected_user", "selected_users", "selected_conversation", "selected_conversations",
    "selected_channel", "selected_channels", "selected_date", "selected_time", "selected_date_time"]) {
    if (field in entry) return entry[field];
  }
  return undefined;
}

export class ValueStore {
  constructor() {
    this.values = new Map();
    this.touched = new Set();
    this.seen = new Set();
  }

  static key(blockId, actionId) {
    return `${blockId}\u0001${actionId}`;
  }

  // Called while rendering: keep what the member changed in an input, otherwise take the given value.
  // Controls outside input blocks are not kept: a new version of the view shows what the app set.
  adopt(blockId, actionId, value, sticky = true) {
    const key = ValueStore.key(blockId, actionId);
    this.seen.add(key);
    if (!sticky) this.touched.delete(key);
    if (!this.touched.has(key)) this.values.set(key, value);
    return this.values.get(key);
  }

  get(blockId, actionId) {
    return this.values.get(ValueStore.key(blockId, actionId));
  }

  set(blockId, actionId, value) {
    const key = ValueStore.key(blockId, actionId);
    this.values.set(key, value);
    this.touched.add(key);
  }

  // Forget inputs the latest render no longer showed (the app replaced them).
  beginRender() {
    this.seen = new Set();
  }

  endRender() {
    for (const key of [...this.values.keys()]) {
      if (!this.seen.has(key)) {
        this.values.delete(key);
        this.touched.delete(key);
      }
    }
  }

  toJSON() {
    const out = {};
    for (const [key, value] of this.values) {
      if (value === null || value === undefined) continue;
      const [blockId, actionId] = key.split("\u0001");
      (out[blockId] ??= {})[actionId] = value;
    }
    return out;
  }
}
