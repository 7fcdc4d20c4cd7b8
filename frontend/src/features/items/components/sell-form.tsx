import {
  categories,
  conditions,
  createItemBody,
  updateItemBody,
  type Item,
} from '@hanger/contracts';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { Button } from '../../../components/ui/button';
import { FormError, SelectField, TextArea, TextField } from '../../../components/ui/field';
import { useToast } from '../../../components/ui/toast';
import { errorMessage, fieldErrors } from '../../../lib/api';
import { categoryLabels, conditionLabels } from '../../../lib/format';
import { formValues, validate, type FieldErrors } from '../../../lib/form';
import { usePageTitle } from '../../../lib/use-page-title';
import { useCreateItem } from '../api/create-item';
import { useUpdateItem } from '../api/update-item';
import { useUploadQueue, type UploadTile, type UploadTransport } from '../hooks/use-upload-queue';
import { UploadQueue } from './upload-queue';

const CURRENCIES = ['EUR', 'GBP', 'USD', 'SEK', 'DKK', 'PLN', 'CHF'];

/** "19.99", "19,99", "20" → 1999 / 2000; NaN when it is not a price. */
export function parsePrice(text: string): number {
  const t = text.trim().replace(/\s/g, '').replace(',', '.');
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return Number.NaN;
  return Math.round(Number(t) * 100);
}

/** Server field names → the form's inputs. */
const serverField: Record<string, string> = {
  priceCents: 'price',
  imageUploadIds: 'photos',
  location: 'city',
};

function tilesFrom(item: Item | undefined): UploadTile[] {
  return (item?.images ?? []).map((img, i) => ({
    key: `existing-${img.id}`,
    file: null,
    name: `Photo ${i + 1}`,
    previewUrl: img.variants.thumb?.url ?? null,
    status: img.status === 'failed' ? 'failed' : img.status === 'ready' ? 'ready' : 'processing',
    progress: 1,
    uploadId: img.id,
    error: img.failureReason,
    width: img.width,
    height: img.height,
  }));
}

/**
 * Create or edit a listing. Validation uses the contracts' schemas (the same the API runs), and a
 * VALIDATION_FAILED answer is mapped back onto the fields it names.
 */
export function SellForm({ item, transport }: { item?: Item; transport?: UploadTransport }) {
  const editing = Boolean(item);
  usePageTitle(editing ? 'Edit listing' : 'Sell an item');
  const queue = useUploadQueue(tilesFrom(item), transport);
  const create = useCreateItem();
  const update = useUpdateItem();
  const toast = useToast();
  const navigate = useNavigate();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const v = formValues(e.currentTarget);
    const priceCents = parsePrice(v.price ?? '');
    const tags = (v.tags ?? '')
      .split(/[,\s]+/)
      .map((t) => t.trim())
      .filter(Boolean);
    const body = {
      title: v.title ?? '',
      description: v.description ?? '',
      category: v.category || undefined,
      brand: v.brand ?? '',
      size: v.size ?? '',
      condition: v.condition || undefined,
      priceCents: Number.isNaN(priceCents) ? undefined : priceCents,
      currency: v.currency ?? 'EUR',
      location: v.city?.trim() ? { city: v.city.trim() } : null,
      tags,
      imageUploadIds: queue.uploadIds,
    };
    const r = validate(editing ? updateItemBody : createItemBody, body);
    const errs: FieldErrors = r.ok ? {} : { ...r.errors };
    if (Number.isNaN(priceCents) && v.price?.trim())
      errs.priceCents = 'Enter a price like 25 or 24.90';
    else if (!v.price?.trim()) errs.priceCents = 'Enter a price';
    if (queue.tiles.some((t) => t.status === 'uploading' || t.status === 'queued')) {
      errs.imageUploadIds = 'Wait until every photo has finished uploading';
    } else if (queue.tiles.some((t) => t.status === 'failed')) {
      errs.imageUploadIds = 'Retry or remove the photos that failed';
    } else if (queue.tiles.length === 0) {
      errs.imageUploadIds = 'Add at least one photo';
    }
    const mapped: FieldErrors = {};
    for (const [k, msg] of Object.entries(errs)) mapped[serverField[k] ?? k] ??= msg;
    setErrors(mapped);
    setFormError(null);
    if (Object.keys(mapped).length > 0 || !r.ok) {
      const first = Object.keys(mapped)[0];
      if (first)
        document.querySelector<HTMLElement>(`[name="${first}"], #photos-fieldset input`)?.focus();
      return;
    }
    const onError = (err: unknown) => {
      const fe = fieldErrors(err);
      const m: FieldErrors = {};
      for (const [k, msg] of Object.entries(fe)) m[serverField[k] ?? k] = msg;
      setErrors(m);
      if (Object.keys(m).length === 0) setFormError(errorMessage(err));
      else setFormError('Some details need another look.');
    };
    if (item) {
      update.mutate(
        { id: item.id, body: r.data },
        {
          onSuccess: (saved) => {
            toast.show('Changes saved', { tone: 'success' });
            void navigate(`/items/${saved.id}`);
          },
          onError,
        },
      );
    } else {
      create.mutate(r.data as Parameters<typeof create.mutate>[0], {
        onSuccess: (saved) => {
          toast.show('Listing published', { tone: 'success' });
          void navigate(`/items/${saved.id}`);
        },
        onError,
      });
    }
  };

  const price = item ? (item.priceCents / 100).toFixed(item.priceCents % 100 ? 2 : 0) : '';
  return (
    <div className="mx-auto w-full max-w-3xl px-4 py-6">
      <h1 className="text-2xl font-semibold tracking-tight">
        {editing ? 'Edit listing' : 'Sell an item'}
      </h1>
      <p className="mt-1 text-sm text-muted">
        Good light and a plain background sell faster. Add up to 20 photos.
      </p>
      <form noValidate onSubmit={onSubmit} className="mt-6 flex flex-col gap-6">
        <FormError>{formError}</FormError>
        <div id="photos-fieldset">
          <UploadQueue queue={queue} error={errors.photos} />
        </div>
        <TextField
          label="Title"
          name="title"
          maxLength={80}
          defaultValue={item?.title}
          placeholder="e.g. Levi's 501 straight jeans"
          error={errors.title}
        />
        <TextArea
          label="Description"
          name="description"
          maxLength={2000}
          defaultValue={item?.description}
          hint="Fit, measurements, flaws, why you are selling."
          error={errors.description}
        />
        <div className="grid gap-4 sm:grid-cols-2">
          <SelectField
            label="Category"
            name="category"
            defaultValue={item?.category ?? ''}
            placeholder="Choose a category"
            options={categories.map((c) => ({ value: c, label: categoryLabels[c] ?? c }))}
            error={errors.category}
          />
          <TextField
            label="Brand"
            name="brand"
            maxLength={60}
            defaultValue={item?.brand}
            autoComplete="off"
            error={errors.brand}
          />
          <TextField
            label="Size"
            name="size"
            maxLength={20}
            defaultValue={item?.size}
            placeholder="M, 38, W32 L32"
            error={errors.size}
          />
          <SelectField
            label="Condition"
            name="condition"
            defaultValue={item?.condition ?? ''}
            placeholder="Choose the condition"
            options={conditions.map((c) => ({ value: c, label: conditionLabels[c] ?? c }))}
            error={errors.condition}
          />
          <TextField
            label="Price"
            name="price"
            inputMode="decimal"
            defaultValue={price}
            placeholder="25.00"
            className="tabular"
            error={errors.price}
          />
          <SelectField
            label="Currency"
            name="currency"
            defaultValue={item?.currency ?? 'EUR'}
            options={CURRENCIES.map((c) => ({ value: c, label: c }))}
            error={errors.currency}
          />
          <TextField
            label="City"
            name="city"
            maxLength={80}
            defaultValue={item?.location?.city ?? ''}
            autoComplete="address-level2"
            error={errors.city}
          />
          <TextField
            label="Tags"
            name="tags"
            defaultValue={item?.tags.join(', ')}
            hint="Up to 10, separated by commas."
            error={errors.tags}
          />
        </div>
        <div className="sticky bottom-16 -mx-4 flex justify-end gap-2 border-t border-hairline bg-canvas/95 px-4 py-3 backdrop-blur md:static md:mx-0 md:border-0 md:bg-transparent md:px-0">
          <Button type="submit" size="lg" loading={create.isPending || update.isPending}>
            {editing ? 'Save changes' : 'Publish listing'}
          </Button>
        </div>
      </form>
    </div>
  );
}
