// Fills a page's static words from the catalogue before the person sees it: each page's HTML starts with
// <html data-i18n-pending> (hidden by keyplace.css), its entry script calls localizePage() first, synchronously,
// so text, labels and accessible names are in place when the page first shows.
//   data-i18n="key"              the element's text (child elements kept: see fillMarked)
//   data-i18n-aria-label="key"   and data-i18n-placeholder, data-i18n-title, data-i18n-value: that attribute
import { type MessageKey, messagesLanguage, t } from '../../shared/i18n';

const ATTRIBUTES = ['aria-label', 'placeholder', 'title', 'value'] as const;

/**
 * Sets `target`'s content to `text`, where each [[…]] of it is the next of `parts` (a link, a <strong>) with
 * those words, or with its own content for an empty [[]] (a code filled in later, an account name):
 * translations can move the parts around a sentence. `between` wraps the words between parts (by default
 * plain text). Parts left over are removed.
 */
export function fillMarked(
  target: Element,
  text: string,
  parts: Element[],
  between: (words: string) => Node | string = (words) => words,
): void {
  const nodes: (Node | string)[] = [];
  let at = 0;
  let next = 0;
  for (const match of text.matchAll(/\[\[(.*?)\]\]/g)) {
    if (match.index > at) nodes.push(between(text.slice(at, match.index)));
    const part = parts[next++];
    if (part && match[1]) part.textContent = match[1];
    nodes.push(part ?? match[1]);
    at = match.index + match[0].length;
  }
  if (at < text.length) nodes.push(between(text.slice(at)));
  target.replaceChildren(...nodes);
}


export function localizePage(root: ParentNode = document): void {
  for (const element of root.querySelectorAll('[data-i18n]')) {
    const text = t(element.getAttribute('data-i18n') as MessageKey);
    if (element.childElementCount) fillMarked(element, text, [...element.children]);
    else element.textContent = text;
  }
  for (const name of ATTRIBUTES) {
    for (const element of root.querySelectorAll(`[data-i18n-${name}]`)) {
      element.setAttribute(name, t(element.getAttribute(`data-i18n-${name}`) as MessageKey));
    }
  }
  if (root === document) {
    document.documentElement.lang = messagesLanguage();
    document.documentElement.removeAttribute('data-i18n-pending');
  }
}
