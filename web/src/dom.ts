/** Tiny DOM helpers. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') el.className = v;
    else el.setAttribute(k, v);
  }
  for (const c of children) el.append(c);
  return el;
}

export function setOptions(select: HTMLSelectElement, options: { value: string; label: string }[], selected?: string): void {
  select.replaceChildren(...options.map((o) => h('option', { value: o.value }, o.label)));
  if (selected !== undefined && options.some((o) => o.value === selected)) select.value = selected;
}

export function showError(el: HTMLElement, message: string): void {
  el.textContent = message;
  el.hidden = message === '';
}
