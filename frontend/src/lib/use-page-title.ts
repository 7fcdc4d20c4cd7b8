import { useEffect } from 'react';

/** Sets `document.title` ("Search · Hanger") so each route is announced with a useful name. */
export function usePageTitle(title: string | undefined) {
  useEffect(() => {
    if (title) document.title = `${title} · Hanger`;
  }, [title]);
}
