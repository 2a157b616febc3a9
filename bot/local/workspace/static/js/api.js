// The workspace server's small JSON API (the page never talks to the app or the fake directly).

export async function getJSON(path, { signal } = {}) {
  const response = await fetch(path, { signal, headers: { Accept: "application/json" } });
  if (!response.ok && response.status >= 500) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

export async function postJSON(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  try {
    return await response.json();
  } catch {
    return { ok: false, error: `HTTP ${response.status}` };
  }
}
