import { useEffect, useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { SearchIcon } from '../../../components/ui/icons';
import { cn } from '../../../lib/cn';
import { useBrands } from '../api/get-brands';

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/**
 * The query box with brand suggestions (an ARIA combobox): type, arrow through brands, Enter picks
 * the highlighted brand as a filter or searches for the text.
 */
export function SearchBox({
  initial = '',
  onSearch,
  onPickBrand,
  className,
  id,
}: {
  initial?: string;
  onSearch: (q: string) => void;
  onPickBrand: (brand: string) => void;
  className?: string;
  id?: string;
}) {
  const [text, setText] = useState(initial);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const auto = useId();
  const inputId = id ?? auto;
  const listId = `${inputId}-brands`;
  const debounced = useDebounced(text, 150);
  const brands = useBrands(open ? debounced : '');
  const options = (brands.data ?? []).slice(0, 8);
  const expanded = open && options.length > 0;

  const [shownInitial, setShownInitial] = useState(initial);
  if (shownInitial !== initial) {
    setShownInitial(initial);
    setText(initial);
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const pick = expanded && active >= 0 ? options[active] : undefined;
    setOpen(false);
    setActive(-1);
    if (pick) {
      setText('');
      onPickBrand(pick.name);
    } else {
      onSearch(text.trim());
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (!expanded) {
      if (e.key === 'ArrowDown' && options.length) setOpen(true);
      return;
    }
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => (a + 1) % options.length);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => (a <= 0 ? options.length - 1 : a - 1));
    } else if (e.key === 'Escape') {
      setOpen(false);
      setActive(-1);
    }
  };

  return (
    <form role="search" onSubmit={submit} className={cn('relative', className)}>
      <label htmlFor={inputId} className="sr-only">
        Search for items or brands
      </label>
      <SearchIcon
        size={18}
        className="pointer-events-none absolute top-1/2 left-3 -translate-y-1/2 text-muted"
      />
      <input
        id={inputId}
        type="search"
        role="combobox"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={expanded && active >= 0 ? `${listId}-${active}` : undefined}
        autoComplete="off"
        enterKeyHint="search"
        placeholder="Search for items or brands"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          setActive(-1);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 120)}
        onKeyDown={onKeyDown}
        className="h-10 w-full rounded-full border border-hairline bg-canvas pr-4 pl-10 text-[15px] text-ink placeholder:text-muted focus:border-accent focus:bg-surface focus:outline-none"
      />
      <ul
        id={listId}
        role="listbox"
        aria-label="Brands"
        hidden={!expanded}
        className="absolute inset-x-0 top-full z-40 mt-1 overflow-hidden rounded-card border border-hairline bg-surface py-1 shadow-sheet"
      >
        {options.map((b, i) => (
          <li
            key={b.name}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === active}
            onMouseDown={(e) => {
              e.preventDefault();
              setOpen(false);
              setText('');
              onPickBrand(b.name);
            }}
            className={cn(
              'flex cursor-pointer items-center justify-between px-4 py-2 text-sm',
              i === active ? 'bg-accent/10' : 'hover:bg-canvas',
            )}
          >
            <span>
              <span className="text-muted">Brand · </span>
              {b.name}
            </span>
            <span className="tabular text-xs text-muted">{b.itemCount}</span>
          </li>
        ))}
      </ul>
    </form>
  );
}
