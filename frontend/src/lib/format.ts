const formatters = new Map<string, Intl.NumberFormat>();

/** `1999, "EUR"` → `€19.99`; whole amounts drop the decimals (`€20`). */
export function formatPrice(cents: number, currency: string): string {
  const whole = cents % 100 === 0;
  const key = `${currency}:${whole}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(undefined, {
      style: 'currency',
      currency,
      minimumFractionDigits: whole ? 0 : 2,
      maximumFractionDigits: 2,
    });
    formatters.set(key, f);
  }
  return f.format(cents / 100);
}

export const conditionLabels: Record<string, string> = {
  new_with_tags: 'New with tags',
  like_new: 'Like new',
  good: 'Good',
  fair: 'Fair',
};

export const categoryLabels: Record<string, string> = {
  tops: 'Tops',
  bottoms: 'Bottoms',
  dresses: 'Dresses',
  outerwear: 'Outerwear',
  knitwear: 'Knitwear',
  shoes: 'Shoes',
  bags: 'Bags',
  accessories: 'Accessories',
  other: 'Other',
};

export const label = (map: Record<string, string>, key: string) => map[key] ?? key;

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
/** "3 minutes ago", "yesterday". */
export function timeAgo(iso: string, now = Date.now()): string {
  const s = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 60) return rtf.format(s, 'second');
  if (abs < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(s / 3600), 'hour');
  if (abs < 86400 * 30) return rtf.format(Math.round(s / 86400), 'day');
  return new Date(iso).toLocaleDateString();
}
