// A searchable ImageNet class picker: type an index or part of a name, pick with the mouse or the arrow keys
// and Enter. With an empty query it lists the suggestions first (the current image's top-5, its true label).
import { IMAGENET_CLASSES } from '../nn/classes.js';
import { h } from './dom.js';

export interface Suggestion {
  id: number;
  tag: string;
}

const MAX_ROWS = 60;

export class ClassPicker {
  private readonly input: HTMLInputElement;
  private readonly list: HTMLUListElement;
  private rows: number[] = [];
  private active = 0;
  private suggestions: Suggestion[] = [];
  private current: number;
  onChange: ((id: number) => void) | null = null;

  constructor(readonly root: HTMLElement, initial: number) {
    this.current = initial;
    this.input = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', placeholder: 'search 1000 classes…', 'aria-label': 'class' });
    this.list = h('ul', { role: 'listbox' });
    this.list.hidden = true;
    root.append(this.input, this.list);
    this.showValue();
    this.input.addEventListener('focus', () => {
      this.input.select();
      this.open('');
    });
    this.input.addEventListener('input', () => this.open(this.input.value));
    this.input.addEventListener('keydown', (e) => this.key(e));
    this.input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
    this.list.addEventListener('mousedown', (e) => {
      const li = (e.target as HTMLElement).closest('li[data-id]') as HTMLElement | null;
      if (!li) return;
      e.preventDefault();
      this.choose(Number(li.dataset.id));
    });
  }

  get value(): number {
    return this.current;
  }

  /** Set the class (does not call onChange). */
  set(id: number): void {
    this.current = id;
    this.showValue();
  }

  setSuggestions(s: Suggestion[]): void {
    this.suggestions = s;
  }

  private showValue(): void {
    this.input.value = `${this.current} · ${IMAGENET_CLASSES[this.current] ?? `class ${this.current}`}`;
    this.input.title = this.input.value;
  }

  private matches(q: string): number[] {
    const s = q.trim().toLowerCase();
    if (!s) return [];
    if (/^\d+$/.test(s)) {
      const n = Number(s);
      const out = n < IMAGENET_CLASSES.length ? [n] : [];
      for (let i = 0; i < IMAGENET_CLASSES.length && out.length < MAX_ROWS; i++) if (i !== n && String(i).startsWith(s)) out.push(i);
      return out;
    }
    const starts: number[] = [];
    const inside: number[] = [];
    IMAGENET_CLASSES.forEach((name, i) => {
      const n = name.toLowerCase();
      if (n.startsWith(s) || n.split(/[\s,'-]+/).some((w) => w.startsWith(s))) starts.push(i);
      else if (n.includes(s)) inside.push(i);
    });
    return [...starts, ...inside].slice(0, MAX_ROWS);
  }

  private open(q: string): void {
    this.list.replaceChildren();
    this.rows = [];
    const add = (id: number, tag = ''): void => {
      this.rows.push(id);
      this.list.append(h('li', { 'data-id': id, role: 'option' }, h('span', { class: 'id', text: id }), h('span', { text: IMAGENET_CLASSES[id] }), tag ? h('span', { class: 'tag', text: tag }) : null));
    };
    const found = this.matches(q);
    if (!q.trim() || q === this.input.title) {
      if (this.suggestions.length) {
        this.list.append(h('li', { class: 'sep', text: 'suggested' }));
        for (const s of this.suggestions) add(s.id, s.tag);
      }
      this.list.append(h('li', { class: 'sep', text: 'type a name or an index' }));
    } else if (!found.length) {
      this.list.append(h('li', { class: 'sep', text: `no class matches “${q.trim()}”` }));
    } else {
      for (const id of found) add(id);
    }
    this.active = 0;
    this.highlight();
    this.list.hidden = false;
  }

  private close(): void {
    this.list.hidden = true;
    this.showValue();
  }

  private highlight(): void {
    const items = [...this.list.querySelectorAll('li[data-id]')];
    items.forEach((li, i) => li.classList.toggle('active', i === this.active));
    items[this.active]?.scrollIntoView({ block: 'nearest' });
  }

  private key(e: KeyboardEvent): void {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (this.list.hidden) this.open(this.input.value);
      const n = this.rows.length;
      if (n) this.active = (this.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.highlight();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (this.rows.length) this.choose(this.rows[this.active]);
    } else if (e.key === 'Escape') {
      this.close();
      this.input.blur();
    }
  }

  private choose(id: number): void {
    this.current = id;
    this.close();
    this.input.blur();
    this.onChange?.(id);
  }
}
