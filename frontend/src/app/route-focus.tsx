import { useEffect, useRef } from 'react';
import { useLocation } from 'react-router';

/**
 * On every client-side navigation (not the first paint), moves focus to the new page's heading so
 * keyboard and screen-reader users start at the top of the new content, and scrolls to the top.
 * Query-string-only changes (filters, tabs) keep focus where it is.
 */
export function RouteFocus() {
  const { pathname } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    window.scrollTo(0, 0);
    const t = window.setTimeout(() => {
      const main = document.getElementById('main');
      const target = main?.querySelector<HTMLElement>('h1') ?? main;
      if (!target) return;
      if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      target.focus({ preventScroll: true });
    }, 50);
    return () => window.clearTimeout(t);
  }, [pathname]);
  return null;
}
