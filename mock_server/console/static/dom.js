// Building the page from data. Every value from the API or the journal goes in as text
// (textContent, attributes), never as HTML: a path such as "/<script>" shows as written.

const SVG = "http://www.w3.org/2000/svg";

function build(element, props, children) {
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.setAttribute("class", value);
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** An HTML element: h("td", {class: "x"}, "text", otherNode). */
export function h(tag, props, ...children) {
  return build(document.createElement(tag), props, children);
}

/** An SVG element, for the chart. */
export function s(tag, props, ...children) {
  return build(document.createElementNS(SVG, tag), props, children);
}

export function byId(id) {
  return document.getElementById(id);
}

/** A status line under a form or a panel: kind "ok", "error" or "" (neutral). */
export function say(element, message, kind = "") {
  element.textContent = message;
  element.dataset.kind = kind;
}

/** The form's field for a name the API's details use (a body field, or a header such as Idempotency-Key). */
function fieldFor(form, name) {
  return [...form.elements].find((element) => element.name === name) || null;
}

export function clearErrors(form) {
  for (const element of form.elements) {
    element.removeAttribute("aria-invalid");
    element.removeAttribute("aria-describedby");
  }
  for (const message of form.querySelectorAll(".field-error")) message.textContent = "";
}

/**
 * A refusal shown on its form: the envelope's message in the form's status line, and each
 * reason its details give for a field next to that field (marked invalid for assistive tech).
 */
export function showError(form, error) {
  clearErrors(form);
  const status = form.querySelector(".form-status");
  let first = null;
  for (const [name, reasons] of Object.entries(error.details || {})) {
    const field = Array.isArray(reasons) && fieldFor(form, name);  // reasons per field; other details are facts
    const message = field && form.querySelector(`#${CSS.escape(field.id)}-error`);
    if (!message) continue;
    message.textContent = reasons.join(" ");
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", message.id);
    first = first || field;
  }
  say(status, `${error.status} ${error.code}: ${error.message}`, "error");
  if (first) first.focus();
}

/** Replace a table body's rows; an empty list shows one row saying so. */
export function fillRows(tbody, rows, empty) {
  const columns = tbody.closest("table").querySelectorAll("thead th").length;
  tbody.replaceChildren(...(rows.length ? rows : [h("tr", { class: "empty" }, h("td", { colspan: columns }, empty))]));
}
