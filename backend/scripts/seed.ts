/**
 * `npm run seed`: a living marketplace for a newcomer — demo users with profiles, follows, and
 * listings with real generated photos, likes and comments. Everything goes through the public API
 * (app.inject) and the real image pipeline, on whichever runtime the environment selects.
 * Safe to run twice: it stops if the demo users already exist.
 */
import sharp from 'sharp';
import { buildApp } from '../src/app';
import { createRuntime } from '../src/composition';
import { hashPassword } from '../src/platform/auth/passwords';
import { users } from '../src/modules/users/users.table';
import { newId } from '../src/platform/ids';
import { boot } from '../src/process';

const PASSWORD = 'hanger-demo-password';

const people = [
  {
    username: 'mila',
    displayName: 'Mila Novak',
    city: 'Berlin',
    country: 'DE',
    lat: 52.52,
    lng: 13.405,
    bio: 'Vintage denim and 90s sportswear. Ships fast.',
  },
  {
    username: 'joao',
    displayName: 'João Silva',
    city: 'Lisbon',
    country: 'PT',
    lat: 38.722,
    lng: -9.139,
    bio: 'Minimal wardrobe, maximal quality.',
  },
  {
    username: 'amara',
    displayName: 'Amara Okafor',
    city: 'London',
    country: 'GB',
    lat: 51.507,
    lng: -0.128,
    bio: 'Prints, colour and the odd designer find.',
  },
  {
    username: 'lena',
    displayName: 'Lena Berg',
    city: 'Stockholm',
    country: 'SE',
    lat: 59.329,
    lng: 18.069,
    bio: 'Knitwear hoarder, slowly letting go.',
  },
  {
    username: 'theo',
    displayName: 'Théo Martin',
    city: 'Paris',
    country: 'FR',
    lat: 48.857,
    lng: 2.352,
    bio: 'Workwear, boots and good coats.',
  },
  {
    username: 'sofia',
    displayName: 'Sofia Rossi',
    city: 'Milan',
    country: 'IT',
    lat: 45.464,
    lng: 9.19,
    bio: 'Bags and shoes, mostly Italian.',
  },
  {
    username: 'noah',
    displayName: 'Noah Jansen',
    city: 'Amsterdam',
    country: 'NL',
    lat: 52.368,
    lng: 4.904,
    bio: 'Sneakers in, sneakers out.',
  },
  {
    username: 'ines',
    displayName: 'Inés García',
    city: 'Madrid',
    country: 'ES',
    lat: 40.417,
    lng: -3.704,
    bio: 'Dresses for every season.',
  },
];

type Category =
  'tops' | 'bottoms' | 'dresses' | 'outerwear' | 'knitwear' | 'shoes' | 'bags' | 'accessories';
const catalogue: {
  title: string;
  brand: string;
  category: Category;
  size: string;
  price: number;
  tags: string[];
}[] = [
  {
    title: 'Levi’s 501 straight jeans, mid wash',
    brand: "Levi's",
    category: 'bottoms',
    size: 'W30 L32',
    price: 3500,
    tags: ['denim', 'vintage'],
  },
  {
    title: 'Oversized wool coat in camel',
    brand: 'COS',
    category: 'outerwear',
    size: 'M',
    price: 9000,
    tags: ['wool', 'winter'],
  },
  {
    title: 'Cable-knit fisherman sweater',
    brand: 'Arket',
    category: 'knitwear',
    size: 'L',
    price: 4500,
    tags: ['knit', 'cosy'],
  },
  {
    title: 'Floral midi wrap dress',
    brand: 'Réalisation Par',
    category: 'dresses',
    size: 'S',
    price: 7500,
    tags: ['floral', 'summer'],
  },
  {
    title: 'Adidas Samba OG trainers',
    brand: 'Adidas',
    category: 'shoes',
    size: 'EU 42',
    price: 6000,
    tags: ['sneakers'],
  },
  {
    title: 'Leather shoulder bag, cognac',
    brand: 'Polène',
    category: 'bags',
    size: 'One size',
    price: 19000,
    tags: ['leather'],
  },
  {
    title: 'Striped Breton long-sleeve tee',
    brand: 'Saint James',
    category: 'tops',
    size: 'M',
    price: 2800,
    tags: ['stripes', 'classic'],
  },
  {
    title: 'Nike Windrunner jacket, 1990s',
    brand: 'Nike',
    category: 'outerwear',
    size: 'L',
    price: 5500,
    tags: ['vintage', 'sport'],
  },
  {
    title: 'Silk scarf with horse print',
    brand: 'Hermès',
    category: 'accessories',
    size: 'One size',
    price: 16000,
    tags: ['silk', 'designer'],
  },
  {
    title: 'Chelsea boots in black leather',
    brand: 'Dr. Martens',
    category: 'shoes',
    size: 'EU 40',
    price: 8000,
    tags: ['boots', 'leather'],
  },
  {
    title: 'Linen wide-leg trousers',
    brand: 'Mango',
    category: 'bottoms',
    size: 'M',
    price: 3000,
    tags: ['linen', 'summer'],
  },
  {
    title: 'Merino crew-neck jumper, navy',
    brand: 'Uniqlo',
    category: 'knitwear',
    size: 'S',
    price: 2500,
    tags: ['merino'],
  },
  {
    title: 'Denim trucker jacket',
    brand: "Levi's",
    category: 'outerwear',
    size: 'M',
    price: 4800,
    tags: ['denim'],
  },
  {
    title: 'Satin slip dress, emerald',
    brand: 'Zara',
    category: 'dresses',
    size: 'XS',
    price: 2900,
    tags: ['satin', 'party'],
  },
  {
    title: 'Cashmere beanie, oatmeal',
    brand: 'Acne Studios',
    category: 'accessories',
    size: 'One size',
    price: 6500,
    tags: ['cashmere', 'winter'],
  },
  {
    title: 'New Balance 990v5 grey',
    brand: 'New Balance',
    category: 'shoes',
    size: 'EU 43',
    price: 9500,
    tags: ['sneakers'],
  },
];
const conditions = ['new_with_tags', 'like_new', 'good', 'fair'] as const;
const palette = [
  '#C9A27E',
  '#2F4858',
  '#8E3B46',
  '#4F6D7A',
  '#D9BF77',
  '#5B8E7D',
  '#E07A5F',
  '#3D405B',
  '#F2CC8F',
  '#81B29A',
];

const shapes: Record<Category, string> = {
  tops: 'M300 250 L500 180 L700 250 L820 420 L720 480 L680 420 L680 1150 L320 1150 L320 420 L280 480 L180 420 Z',
  knitwear:
    'M300 240 L500 190 L700 240 L860 700 L760 730 L680 430 L680 1150 L320 1150 L320 430 L240 730 L140 700 Z',
  outerwear:
    'M300 220 L500 160 L700 220 L860 1150 L720 1160 L680 480 L660 1250 L340 1250 L320 480 L280 1160 L140 1150 Z',
  dresses: 'M400 200 L600 200 L640 520 L820 1250 L180 1250 L360 520 Z',
  bottoms: 'M320 200 L680 200 L740 1250 L540 1250 L500 520 L460 1250 L260 1250 Z',
  shoes: 'M180 900 L420 880 L520 760 L640 760 L700 880 L880 960 L880 1060 L180 1060 Z',
  bags: 'M260 560 L740 560 L800 1150 L200 1150 Z M380 560 C380 360 620 360 620 560 L580 560 C580 420 420 420 420 560 Z',
  accessories: 'M250 450 L750 450 L750 950 L250 950 Z',
};

/** A 1000×1333 product photo: a garment silhouette on a soft backdrop, with fabric texture. */
async function photo(category: Category, colour: string, variant: number): Promise<Buffer> {
  const bg = ['#F5F1EA', '#EEF1F4', '#F4EEF0'][variant % 3];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1333" viewBox="0 0 1000 1333">
    <defs>
      <pattern id="weave" width="14" height="14" patternUnits="userSpaceOnUse" patternTransform="rotate(${variant * 20})">
        <rect width="14" height="14" fill="${colour}"/><path d="M0 7 H14" stroke="#000" stroke-opacity="0.07" stroke-width="3"/>
      </pattern>
      <radialGradient id="light" cx="40%" cy="30%" r="80%"><stop offset="0" stop-color="#fff" stop-opacity="0.25"/><stop offset="1" stop-color="#000" stop-opacity="0.15"/></radialGradient>
    </defs>
    <rect width="1000" height="1333" fill="${bg}"/>
    <ellipse cx="500" cy="1270" rx="360" ry="26" fill="#000" opacity="0.08"/>
    <path d="${shapes[category]}" fill="url(#weave)" fill-rule="evenodd"/>
    <path d="${shapes[category]}" fill="url(#light)" fill-rule="evenodd"/>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 82 }).toBuffer();
}

const { config, log } = boot();
const runtime = await createRuntime(config, log);
if (config.migrateOnStart) await runtime.adapters.database.migrate();
const app = await buildApp(runtime);
await app.ready();
await runtime.startWorker();
const { auth } = runtime.services;

async function call<T = unknown>(
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  token: string,
  payload?: unknown,
) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}` },
    payload: payload as object,
  });
  if (res.statusCode >= 400) throw new Error(`${method} ${url} → ${res.statusCode} ${res.body}`);
  return (res.body ? res.json() : undefined) as T;
}

async function putBytes(ticket: { url: string; headers: Record<string, string> }, bytes: Buffer) {
  const url = new URL(ticket.url);
  const headers = Object.fromEntries(
    Object.entries(ticket.headers).map(([k, v]) => [k.toLowerCase(), v]),
  );
  if (runtime.adapters.storage.kind === 'local') {
    const res = await app.inject({
      method: 'PUT',
      url: url.pathname + url.search,
      headers,
      payload: bytes,
    });
    if (res.statusCode !== 200) throw new Error(`upload PUT failed: ${res.statusCode} ${res.body}`);
  } else {
    const res = await fetch(url, { method: 'PUT', headers, body: new Uint8Array(bytes) });
    if (!res.ok) throw new Error(`upload PUT failed: ${res.status}`);
  }
}

try {
  const existing = await app.inject({ url: '/api/v1/users/mila' });
  if (existing.statusCode === 200) {
    console.log('Demo data is already there (user "mila" exists); nothing to do.');
  } else {
    const passwordHash = await hashPassword(PASSWORD);
    const tokens = new Map<string, string>();
    for (const p of people) {
      const id = newId();
      await runtime.adapters.database.db.transaction(async (tx) => {
        await tx.insert(users).values({
          id,
          username: p.username,
          email: `${p.username}@demo.hanger.local`,
          emailVerifiedAt: new Date(),
          passwordHash,
          displayName: p.displayName,
          bio: p.bio,
          city: p.city,
          country: p.country,
          lat: p.lat,
          lng: p.lng,
        });
      });
      const session = await auth.login(`${p.username}@demo.hanger.local`, PASSWORD, {
        ip: '127.0.0.1',
        clientKey: '127.0.0.1',
        userAgent: 'seed',
      });
      tokens.set(p.username, session.accessToken);
    }

    let n = 0;
    for (const [i, item] of catalogue.entries()) {
      const seller = people[i % people.length]!;
      const token = tokens.get(seller.username)!;
      const colour = palette[i % palette.length]!;
      const uploadIds: string[] = [];
      for (let v = 0; v < 2; v++) {
        const bytes = await photo(item.category, colour, v + i);
        const ticket = await call<{
          data: { id: string; url: string; headers: Record<string, string> };
        }>('POST', '/uploads', token, {
          contentType: 'image/jpeg',
          sizeBytes: bytes.length,
          purpose: 'item_image',
        });
        await putBytes(ticket.data, bytes);
        uploadIds.push(ticket.data.id);
      }
      await call('POST', '/items', token, {
        title: item.title,
        description: `${item.title}. Worn a handful of times and well looked after; measurements on request. Smoke-free home.`,
        category: item.category,
        brand: item.brand,
        size: item.size,
        condition: conditions[i % conditions.length],
        priceCents: item.price,
        currency: 'EUR',
        location: { city: seller.city, country: seller.country, lat: seller.lat, lng: seller.lng },
        tags: item.tags,
        imageUploadIds: uploadIds,
      });
      n++;
    }

    for (const [i, p] of people.entries()) {
      for (let k = 1; k <= 3; k++) {
        const other = people[(i + k) % people.length]!;
        await call('POST', `/users/${other.username}/follow`, tokens.get(p.username)!);
      }
    }
    await runtime.adapters.outbox.whenSettled(120_000);
    console.log(`Seeded ${people.length} users, ${n} listings with photos, and follows.`);
    console.log(
      `Sign in as any of ${people.map((p) => p.username).join(', ')} — email <name>@demo.hanger.local, password "${PASSWORD}".`,
    );
  }
} finally {
  await app.close();
  await runtime.close();
}
