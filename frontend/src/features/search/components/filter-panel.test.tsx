import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { SearchFacets } from '@hanger/contracts';
import {
  emptySearch,
  parseSearch,
  serializeSearch,
  type SearchState,
} from '../hooks/use-search-state';
import { ActiveFilters } from './active-filters';
import { FilterPanel } from './filter-panel';

const facets: SearchFacets = {
  category: [
    { value: 'tops', count: 12 },
    { value: 'outerwear', count: 4 },
  ],
  brand: [
    { value: 'Levi’s', count: 7 },
    { value: 'COS', count: 3 },
  ],
  size: [
    { value: 'M', count: 9 },
    { value: 'L', count: 2 },
  ],
  condition: [
    { value: 'like_new', count: 5 },
    { value: 'good', count: 8 },
  ],
  price: { min: 500, max: 12000 },
  total: 20,
  approximate: false,
  sampleSize: 20,
};

function Harness({
  initial = emptySearch,
  onChange,
}: {
  initial?: SearchState;
  onChange?: (s: SearchState) => void;
}) {
  const [state, setState] = useState(initial);
  const set = (s: SearchState) => {
    setState(s);
    onChange?.(s);
  };
  return (
    <>
      <ActiveFilters state={state} onChange={set} />
      <FilterPanel
        state={state}
        facets={facets}
        onChange={set}
        locate={() => Promise.resolve({ lat: 48.8566, lng: 2.3522 })}
      />
      <output data-testid="url">{serializeSearch(state).toString()}</output>
    </>
  );
}

const url = () => screen.getByTestId('url').textContent;

describe('FilterPanel', () => {
  it('shows facet counts next to each option', () => {
    render(<Harness />);
    expect(screen.getByRole('radio', { name: /Tops\s*12/ })).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: /COS\s*3/ })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /^Size\s*M\W*9\s*items$/ })).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: /Good\s*8/ })).toBeInTheDocument();
    expect(screen.getByPlaceholderText('120')).toBeInTheDocument();
  });

  it('turns choices into search state and active-filter chips', async () => {
    const onChange = vi.fn();
    render(<Harness onChange={onChange} />);
    await userEvent.click(screen.getByRole('radio', { name: /Outerwear/ }));
    await userEvent.click(screen.getByRole('checkbox', { name: /Levi’s/ }));
    await userEvent.click(screen.getByRole('checkbox', { name: /COS/ }));
    await userEvent.click(screen.getByRole('button', { name: /^Size\s*M\W*9\s*items$/ }));
    await userEvent.click(screen.getByRole('checkbox', { name: /Like new/ }));
    expect(url()).toBe(
      'category=outerwear&brand=Levi%E2%80%99s&brand=COS&size=M&condition=like_new',
    );
    expect(screen.getByRole('button', { name: /^Size\s*M\W*9\s*items$/ })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    expect(screen.getByRole('group', { name: 'Active filters' })).toHaveTextContent(
      /Outerwear.*Levi’s.*COS.*Size M.*Like new/,
    );

    await userEvent.click(screen.getByRole('button', { name: 'Remove filter COS' }));
    expect(url()).toBe('category=outerwear&brand=Levi%E2%80%99s&size=M&condition=like_new');
    await userEvent.click(screen.getByRole('button', { name: 'Clear all' }));
    expect(url()).toBe('');
  });

  it('validates and applies a price range, in whole units', async () => {
    render(<Harness />);
    const [min, max] = [
      screen.getByRole('textbox', { name: 'Min' }),
      screen.getByRole('textbox', { name: 'Max' }),
    ];
    await userEvent.type(min, '50');
    await userEvent.type(max, '20');
    await userEvent.click(screen.getByRole('button', { name: 'Apply price' }));
    expect(screen.getByRole('alert')).toHaveTextContent('The minimum is above the maximum');
    expect(url()).toBe('');
    await userEvent.clear(max);
    await userEvent.type(max, '80');
    await userEvent.click(screen.getByRole('button', { name: 'Apply price' }));
    expect(url()).toBe('priceMin=50&priceMax=80');
    expect(screen.getByRole('group', { name: 'Active filters' })).toHaveTextContent('Price 50–80');
  });

  it('asks for the location once to filter by distance', async () => {
    render(<Harness />);
    await userEvent.selectOptions(
      screen.getByRole('combobox', { name: 'Distance from you' }),
      '25',
    );
    expect(url()).toBe('radiusKm=25&lat=48.86&lng=2.35');
  });

  it('shows the state that comes from the URL (back/forward) and round-trips it', () => {
    const s = parseSearch(
      new URLSearchParams('q=jeans&brand=COS&size=L&priceMax=40&sort=price_asc'),
    );
    render(<Harness initial={s} />);
    expect(screen.getByRole('checkbox', { name: /COS/ })).toBeChecked();
    expect(screen.getByRole('button', { name: /^Size\s*L\W*2\s*items$/ })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    expect(screen.getByRole('textbox', { name: 'Max' })).toHaveValue('40');
    expect(url()).toBe('q=jeans&brand=COS&size=L&priceMax=40&sort=price_asc');
  });
});
