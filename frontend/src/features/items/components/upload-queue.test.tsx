/* eslint-disable @typescript-eslint/require-await -- act() needs async callbacks to flush the upload promises' reactions */
import type { Upload } from '@hanger/contracts';
import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../lib/api';
import { useUploadQueue, type UploadTransport } from '../hooks/use-upload-queue';
import { UploadQueue } from './upload-queue';

/** A transport whose uploads the test drives by hand: progress, finish, fail. */
function fakeTransport() {
  const pending = new Map<
    string,
    { progress: (f: number) => void; resolve: (id: string) => void; reject: (e: unknown) => void }
  >();
  const statuses = new Map<string, Upload['status']>();
  const transport: UploadTransport = {
    upload: vi.fn(
      (file: File, onProgress: (f: number) => void) =>
        new Promise<string>((resolve, reject) =>
          pending.set(file.name, { progress: onProgress, resolve, reject }),
        ),
    ),
    status: vi.fn((id: string) =>
      Promise.resolve({
        id,
        status: statuses.get(id) ?? 'processing',
        variants: {
          thumb:
            statuses.get(id) === 'ready'
              ? { url: `/media/${id}.webp`, width: 240, height: 320 }
              : null,
          medium: null,
        },
        width: 240,
        height: 320,
        failureReason: null,
      } as Upload),
    ),
  };
  return { transport, pending, statuses };
}

function Harness({ transport }: { transport: UploadTransport }) {
  const queue = useUploadQueue([], transport, 10);
  return (
    <>
      <UploadQueue queue={queue} />
      <output data-testid="ids">{queue.uploadIds.join(',')}</output>
      <output data-testid="settled">{String(queue.settled)}</output>
    </>
  );
}

const jpeg = (name: string, size = 1000) =>
  new File([new Uint8Array(size)], name, { type: 'image/jpeg' });
const tiles = () => screen.getAllByTestId('upload-tile');

describe('UploadQueue', () => {
  it('uploads each photo with its own progress, then shows processing and the real thumbnail', async () => {
    const { transport, pending, statuses } = fakeTransport();
    render(<Harness transport={transport} />);
    await userEvent.upload(screen.getByLabelText('Add photos'), [jpeg('a.jpg'), jpeg('b.jpg')]);

    expect(tiles()).toHaveLength(2);
    await act(async () => pending.get('a.jpg')!.progress(0.4));
    const bars = screen.getAllByRole('progressbar');
    expect(bars[0]).toHaveAttribute('aria-valuenow', '40');
    expect(bars[1]).toHaveAttribute('aria-valuenow', '0');

    await act(async () => pending.get('a.jpg')!.resolve('up-a'));
    expect(within(tiles()[0]!).getByText(/Processing/)).toBeInTheDocument();
    expect(screen.getByTestId('settled')).toHaveTextContent('false');

    statuses.set('up-a', 'ready');
    await vi.waitFor(() => expect(within(tiles()[0]!).getByText(/Ready/)).toBeInTheDocument());
    expect(within(tiles()[0]!).getByRole('img')).toHaveAttribute('src', '/media/up-a.webp');
    await act(async () => pending.get('b.jpg')!.resolve('up-b'));
    expect(screen.getByTestId('ids')).toHaveTextContent('up-a,up-b');
    expect(screen.getByTestId('settled')).toHaveTextContent('true');
  });

  it('marks a failed upload, keeps the others, and retries it on request', async () => {
    const { transport, pending } = fakeTransport();
    render(<Harness transport={transport} />);
    await userEvent.upload(screen.getByLabelText('Add photos'), [jpeg('a.jpg'), jpeg('b.jpg')]);
    await act(async () =>
      pending
        .get('a.jpg')!
        .reject(new ApiError(403, 'UPLOAD_FAILED', 'Storage refused the upload (403)')),
    );
    await act(async () => pending.get('b.jpg')!.resolve('up-b'));
    expect(within(tiles()[0]!).getByText(/Storage refused the upload/)).toBeInTheDocument();
    expect(screen.getByTestId('ids')).toHaveTextContent('up-b');

    await userEvent.click(screen.getByRole('button', { name: 'Retry photo 1' }));
    expect(transport.upload).toHaveBeenCalledTimes(3);
    await act(async () => pending.get('a.jpg')!.resolve('up-a2'));
    expect(screen.getByTestId('ids')).toHaveTextContent('up-a2,up-b');
  });

  it('reorders with the keyboard and announces the new position', async () => {
    const { transport, pending } = fakeTransport();
    render(<Harness transport={transport} />);
    await userEvent.upload(screen.getByLabelText('Add photos'), [
      jpeg('a.jpg'),
      jpeg('b.jpg'),
      jpeg('c.jpg'),
    ]);
    await act(async () => {
      pending.get('a.jpg')!.resolve('A');
      pending.get('b.jpg')!.resolve('B');
      pending.get('c.jpg')!.resolve('C');
    });
    screen.getByRole('button', { name: /Reorder photo 1 of 3/ }).focus();
    await userEvent.keyboard('{ArrowRight}');
    expect(screen.getByTestId('ids')).toHaveTextContent('B,A,C');
    await act(() => new Promise((r) => requestAnimationFrame(() => r(undefined))));
    expect(screen.getByRole('button', { name: /Reorder photo 2 of 3/ })).toHaveFocus();
    expect(screen.getByText('Photo 1 moved to position 2 of 3')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Move photo 3 earlier' }));
    expect(screen.getByTestId('ids')).toHaveTextContent('B,C,A');
    // Let the moved photo's handle take focus back (next frame) before focusing another one.
    await act(() => new Promise((r) => requestAnimationFrame(() => r(undefined))));
    screen.getByRole('button', { name: /Reorder photo 3 of 3/ }).focus();
    await userEvent.keyboard('{Home}');
    expect(screen.getByTestId('ids')).toHaveTextContent('A,B,C');
  });

  it('removes a photo and refuses files it cannot send', async () => {
    const { transport, pending } = fakeTransport();
    render(<Harness transport={transport} />);
    const gif = new File([new Uint8Array(10)], 'anim.gif', { type: 'image/gif' });
    const huge = jpeg('huge.jpg', 16 * 1024 * 1024);
    await userEvent.upload(screen.getByLabelText('Add photos'), [jpeg('a.jpg'), gif, huge], {
      applyAccept: false,
    });
    expect(tiles()).toHaveLength(1);
    expect(screen.getByText(/anim.gif: Use a JPEG, PNG/)).toBeInTheDocument();
    expect(screen.getByText(/huge.jpg: This photo is larger than 15 MB/)).toBeInTheDocument();
    await act(async () => pending.get('a.jpg')!.resolve('A'));
    await userEvent.click(screen.getByRole('button', { name: 'Remove photo 1' }));
    expect(screen.queryAllByTestId('upload-tile')).toHaveLength(0);
    expect(screen.getByTestId('ids')).toHaveTextContent('');
  });

  it('accepts at most 20 photos and uploads three at a time', async () => {
    const { transport } = fakeTransport();
    render(<Harness transport={transport} />);
    const files = Array.from({ length: 22 }, (_, i) => jpeg(`p${i}.jpg`));
    await userEvent.upload(screen.getByLabelText('Add photos'), files);
    expect(tiles()).toHaveLength(20);
    expect(screen.getByText(/p20.jpg: you can add up to 20 photos/)).toBeInTheDocument();
    expect(transport.upload).toHaveBeenCalledTimes(3);
    expect(screen.queryByLabelText('Add photos')).toBeNull();
  });
});
