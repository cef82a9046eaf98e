// Tiny DOM helpers for Keyplace's own pages. Text always goes in as text nodes, never as HTML, because
// site names and account names come from web pages.

export function byId(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (!found) throw new Error(`Missing element #${id}`);
  return found;
}

export function element(tag: string, attributes: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** Refuses a form's input: `words` in its `error` line, the focus where the person corrects it. Always true. */
export function refuse(error: HTMLElement, field: HTMLElement, words: string): true {
  error.textContent = words;
  field.focus();
  return true;
}

/** Refuses an empty (or blank) field with `words`; false where it holds something. */
export function refuseEmpty(error: HTMLElement, field: HTMLInputElement | HTMLTextAreaElement, words: string): boolean {
  return !field.value.trim() && refuse(error, field, words);
}
