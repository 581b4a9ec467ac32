// Moderator UI. Listing data is untrusted: it only ever becomes text nodes (textContent),
// never HTML. The token lives in sessionStorage and is sent as a bearer header.
"use strict";

const state = { token: sessionStorage.getItem("rq_token"), user: null, held: [], index: 0 };
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { "Authorization": "Bearer " + state.token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail));
    error.status = response.status;
    throw error;
  }
  return data;
}

function show(view) {
  for (const id of ["login-view", "queue-view", "case-view"]) $(id).hidden = id !== view;
}

function setText(id, value) {
  $(id).textContent = value === null || value === undefined || value === "" ? "—" : String(value);
}

// Put `text` into `element`, wrapping every occurrence of a highlight term in <mark>.
function renderHighlighted(element, text, terms) {
  element.replaceChildren();
  text = text || "";
  const lower = text.toLowerCase();
  const wanted = (terms || []).filter((t) => t).map((t) => t.toLowerCase());
  let pos = 0;
  while (pos < text.length) {
    let best = -1, bestLen = 0;
    for (const term of wanted) {
      const at = lower.indexOf(term, pos);
      if (at !== -1 && (best === -1 || at < best)) { best = at; bestLen = term.length; }
    }
    if (best === -1) break;
    if (best > pos) element.append(document.createTextNode(text.slice(pos, best)));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(best, best + bestLen);
    element.append(mark);
    pos = best + bestLen;
  }
  if (pos < text.length) element.append(document.createTextNode(text.slice(pos)));
}

function listItems(element, values) {
  element.replaceChildren(...values.map((v) => {
    const li = document.createElement("li");
    li.textContent = v;
    return li;
  }));
}

async function login(token) {
  state.token = token;
  try {
    state.user = await api("GET", "/api/me");
  } catch (error) {
    state.token = null;
    sessionStorage.removeItem("rq_token");
    $("login-error").textContent = error.message;
    show("login-view");
    return;
  }
  sessionStorage.setItem("rq_token", token);
  // Keep the leases of held cases alive while the page is open (they last 10 minutes).
  setInterval(() => { if (state.held.length) api("POST", "/api/held/renew").catch(() => {}); }, 240000);
  $("whoami").textContent = state.user.name + " (" + state.user.role + ")";
  $("logout").hidden = false;
  await loadHeld();
}

async function loadHeld() {
  const data = await api("GET", "/api/held");
  state.held = data.cases;
  state.index = 0;
  renderQueue();
}

function renderQueue() {
  show("queue-view");
  const rows = state.held.map((c, i) => {
    const tr = document.createElement("tr");
    tr.dataset.index = i;
    for (const value of [c.id, c.listing.title, c.reasons[0], c.risk.toFixed(2), c.due_at]) {
      const td = document.createElement("td");
      td.textContent = value === undefined || value === null ? "—" : String(value);
      tr.append(td);
    }
    tr.addEventListener("click", () => openCase(i));
    return tr;
  });
  $("held-rows").replaceChildren(...rows);
  $("queue-status").textContent = state.held.length
    ? state.held.length + " case(s) held — Enter opens the first"
    : "No cases held. Claim some.";
}

async function claim() {
  try {
    const data = await api("POST", "/api/claim", { limit: 10 });
    state.held = state.held.concat(data.cases);
    if (!data.cases.length && !state.held.length) {
      renderQueue();
      $("queue-status").textContent = "The queue is empty.";
      return;
    }
    openCase(0);
  } catch (error) {
    $("queue-status").textContent = error.message;
  }
}

function openCase(index) {
  state.index = index;
  const c = state.held[index];
  if (!c) { renderQueue(); return; }
  show("case-view");
  const l = c.listing || {};
  renderHighlighted($("listing-title"), l.title, c.highlights);
  renderHighlighted($("listing-description"), l.description, c.highlights);
  setText("listing-price", l.price === null || l.price === undefined ? "договорная" : l.price + " ₽");
  setText("listing-category", l.category);
  setText("listing-place", [l.region, l.city].filter((x) => x).join(", "));
  setText("listing-created", l.created_at);
  setText("listing-photos", l.photo_count);
  setText("listing-phone", l.phone);
  listItems($("reasons"), c.reasons);
  setText("rule-hits", c.rule_hits.join(", "));
  setText("fraud-score", c.fraud_score === null ? null : c.fraud_score.toFixed(3));
  setText("model-version", c.model_version);
  setText("case-position", "Case " + c.id + " (" + (index + 1) + "/" + state.held.length + ")");
  setText("case-due", "due " + c.due_at);
  const contribs = c.contributions.map((x) => {
    const tr = document.createElement("tr");
    const name = document.createElement("td");
    name.textContent = x.feature;
    const value = document.createElement("td");
    value.textContent = (x.value > 0 ? "+" : "") + x.value.toFixed(3);
    value.className = x.value > 0 ? "up" : "down";
    tr.append(name, value);
    return tr;
  });
  $("contributions").tBodies[0].replaceChildren(...contribs);
  const seller = [["Seller", l.seller_id], ["Type", l.seller_type], ["Registered", l.seller_registered_at],
    ["Listings before", l.seller_listing_count], ["Past blocks", l.seller_past_blocks]];
  $("seller").replaceChildren(...seller.flatMap(([k, v]) => {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v === undefined || v === null ? "—" : String(v);
    return [dt, dd];
  }));
  $("seller-history").replaceChildren();
  if (l.seller_id) {
    api("GET", "/api/sellers/" + encodeURIComponent(l.seller_id) + "/history?limit=10").then((data) => {
      listItems($("seller-history"), data.decisions.map(
        (d) => d.decided_at.slice(0, 10) + " " + d.decision + " (" + d.reason_code + "): " + (d.title || d.listing_id)));
    }).catch(() => {});
  }
  const appeal = c.appeal;
  $("appeal-box").hidden = !appeal;
  if (appeal) {
    setText("appeal-note", appeal.note);
    const o = appeal.original || {};
    setText("original-decision", o.decision ? o.decision + " / " + o.reason_code : null);
    setText("original-by", o.decided_by);
    setText("original-note", o.note);
  }
  const dispute = c.dispute;
  $("dispute-box").hidden = !dispute;
  if (dispute) {
    for (const [key, d] of [["dispute-first", dispute.first || {}], ["dispute-second", dispute.second || {}]]) {
      setText(key, d.decision ? d.decision + " / " + d.reason_code : null);
      setText(key + "-by", d.decided_by);
      setText(key + "-note", d.note);
    }
  }
  $("note").value = "";
  $("decide-error").textContent = "";
}

async function decide(decision, reason) {
  const c = state.held[state.index];
  if (!c) return;
  const note = $("note").value.trim() || null;
  try {
    const data = await api("POST", "/api/cases/" + c.id + "/decision", { decision, reason_code: reason, note });
    showAudit(c.id, data.audit);
    state.held.splice(state.index, 1);
    if (state.held.length) openCase(Math.min(state.index, state.held.length - 1));
    else await claim();
  } catch (error) {
    $("decide-error").textContent = error.message;
    if (error.status === 409) { await loadHeld(); }
  }
}

function showAudit(caseId, entries) {
  $("last-decision").hidden = false;
  setText("last-case", caseId);
  listItems($("audit-entries"), entries.map((e) => {
    const d = e.detail || {};
    const what = e.action === "decide" ? ": " + d.decision + " / " + d.reason_code + (d.note ? " — " + d.note : "") : "";
    return e.at + " " + e.actor + " " + e.action + what;
  }));
}

async function release() {
  const c = state.held[state.index];
  if (!c) return;
  await api("POST", "/api/cases/" + c.id + "/release", {}).catch(() => {});
  state.held.splice(state.index, 1);
  if (state.held.length) openCase(Math.min(state.index, state.held.length - 1));
  else renderQueue();
}

function onKey(event) {
  if (!state.user) return;
  const typing = ["TEXTAREA", "INPUT"].includes(document.activeElement.tagName);
  if (event.key === "Escape") {
    if (typing) document.activeElement.blur();  // leave the note, stay on the case
    else if (!$("case-view").hidden) renderQueue();
    return;
  }
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  if (!$("queue-view").hidden) {
    if (event.key === "c") { event.preventDefault(); claim(); }
    if (event.key === "Enter" && state.held.length) { event.preventDefault(); openCase(0); }
    return;
  }
  if ($("case-view").hidden) return;
  if (event.key === "n") { event.preventDefault(); $("note").focus(); return; }
  if (event.key === "r") { event.preventDefault(); release(); return; }
  const button = document.querySelector('button.decision[data-key="' + CSS.escape(event.key) + '"]');
  if (button) { event.preventDefault(); decide(button.dataset.decision, button.dataset.reason); }
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (event) => { event.preventDefault(); login($("token").value.trim()); });
  $("logout").addEventListener("click", () => { sessionStorage.removeItem("rq_token"); location.reload(); });
  $("claim").addEventListener("click", claim);
  $("back").addEventListener("click", renderQueue);
  $("release").addEventListener("click", release);
  for (const button of document.querySelectorAll("button.decision")) {
    button.addEventListener("click", () => decide(button.dataset.decision, button.dataset.reason));
  }
  document.addEventListener("keydown", onKey);
  if (state.token) login(state.token); else show("login-view");
});
