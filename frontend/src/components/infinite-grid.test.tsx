import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../lib/api';
import { InfiniteGrid, type InfiniteSource } from './infinite-grid';

type Row = { id: string; name: string };
const rows = (n: number, from = 0): Row[] =>
  Array.from({ length: n }, (_, i) => ({ id: `r${from + i}`, name: `Item ${from + i}` }));

let observers: { cb: IntersectionObserverCallback; el: Element | null; disconnected: boolean }[] =
  [];
class FakeIO {
  entry: (typeof observers)[number];
  constructor(cb: IntersectionObserverCallback) {
    this.entry = { cb, el: null, disconnected: false };
    observers.push(this.entry);
  }
  observe(el: Element) {
    this.entry.el = el;
  }
  disconnect() {
    this.entry.disconnected = true;
  }
  unobserve() {}
  takeRecords() {
    return [];
  }
}
function scrollSentinelIntoView() {
  const live = observers.filter((o) => !o.disconnected);
  for (const o of live)
    o.cb(
      [{ isIntersecting: true, target: o.el! } as IntersectionObserverEntry],
      {} as IntersectionObserver,
    );
}

function source(over: Partial<InfiniteSource<Row>>): InfiniteSource<Row> {
  return {
    items: [],
    isPending: false,
    isError: false,
    error: null,
    hasNextPage: false,
    isFetchingNextPage: false,
    fetchNextPage: vi.fn(),
    refetch: vi.fn(),
    ...over,
  };
}

function renderGrid(s: InfiniteSource<Row>) {
  return render(
    <InfiniteGrid
      source={s}
      label="items"
      getKey={(r) => r.id}
      renderItem={(r) => <span>{r.name}</span>}
      empty={<p>Nothing here yet</p>}
    />,
  );
}

describe('InfiniteGrid', () => {
  beforeEach(() => {
    observers = [];
    vi.stubGlobal('IntersectionObserver', FakeIO);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('shows card skeletons and a status while the first page loads', () => {
    const { container } = renderGrid(source({ isPending: true, items: undefined }));
    expect(screen.getByRole('status')).toHaveTextContent('Loading items');
    expect(container.querySelectorAll('.aspect-\\[3\\/4\\]').length).toBeGreaterThanOrEqual(8);
  });

  it('renders the items and asks for the next page when the sentinel scrolls into view', () => {
    const s = source({ items: rows(3), hasNextPage: true });
    renderGrid(s);
    expect(screen.getByRole('list', { name: 'items' }).children).toHaveLength(3);
    scrollSentinelIntoView();
    expect(s.fetchNextPage).toHaveBeenCalledTimes(1);
  });

  it('does not observe while a page is loading or when there is no next page', () => {
    renderGrid(source({ items: rows(3), hasNextPage: true, isFetchingNextPage: true }));
    scrollSentinelIntoView();
    expect(observers.filter((o) => !o.disconnected)).toHaveLength(0);
  });

  it('appends the next page without losing the first and keeps a keyboard "Load more"', async () => {
    const s = source({ items: rows(3), hasNextPage: true });
    const { rerender } = renderGrid(s);
    rerender(
      <InfiniteGrid
        source={{ ...s, items: [...rows(3), ...rows(2, 3)], hasNextPage: false }}
        label="items"
        getKey={(r) => r.id}
        renderItem={(r) => <span>{r.name}</span>}
        empty={null}
      />,
    );
    expect(screen.getByText('Item 0')).toBeInTheDocument();
    expect(screen.getByText('Item 4')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
    const s2 = source({ items: rows(2), hasNextPage: true });
    rerender(
      <InfiniteGrid
        source={s2}
        label="items"
        getKey={(r) => r.id}
        renderItem={(r) => <span>{r.name}</span>}
        empty={null}
      />,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(s2.fetchNextPage).toHaveBeenCalled();
  });

  it('shows the empty state when there is nothing', () => {
    renderGrid(source({ items: [] }));
    expect(screen.getByText('Nothing here yet')).toBeInTheDocument();
  });

  it('offers a retry when the first page fails', async () => {
    const s = source({ items: undefined, isError: true, error: new TypeError('Failed to fetch') });
    renderGrid(s);
    expect(screen.getByRole('alert')).toHaveTextContent(/offline/i);
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(s.refetch).toHaveBeenCalled();
  });

  it('keeps loaded items when a later page fails and retries that page', async () => {
    const s = source({
      items: rows(2),
      hasNextPage: true,
      isError: true,
      error: new ApiError(500, 'INTERNAL', 'x'),
    });
    renderGrid(s);
    expect(screen.getByText('Item 1')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(s.fetchNextPage).toHaveBeenCalled();
  });
});
