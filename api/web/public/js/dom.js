// Building the page: elements from tags, properties and children, where every string becomes a
// text node (never markup), so a member's text shows as the characters they typed, even a
// script tag. The app never parses a string as markup anywhere.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = !!v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// A labelled field: the label is tied to its input for screen readers, and an error or hint
// text below it is announced with it.
let ids = 0;
export function field(label, input, hint) {
  const id = input.id || "f" + ++ids;
  input.id = id;
  const parts = [h("label", { for: id }, label), input];
  if (hint) {
    const hid = id + "-hint";
    input.setAttribute("aria-describedby", hid);
    parts.push(h("p", { id: hid, class: "hint" }, hint));
  }
  return h("div", { class: "field" }, parts);
}
