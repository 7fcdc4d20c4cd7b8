import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ObjectInfo, ObjectStorage, PresignedRequest, PutOptions } from './types';
import { assertValidKey } from './types';

export interface S3Options {
  endpoint: string | undefined;
  bucket: string;
  region: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  forcePathStyle: boolean;
}

/** S3-compatible storage (AWS S3, MinIO) through plain SDK v3 calls and presigned URLs. */
export class S3Storage implements ObjectStorage {
  readonly kind = 's3' as const;
  readonly client: S3Client;

  constructor(private readonly o: S3Options) {
    this.client = new S3Client({
      region: o.region,
      endpoint: o.endpoint,
      forcePathStyle: o.forcePathStyle,
      credentials:
        o.accessKeyId && o.secretAccessKey
          ? { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey }
          : undefined,
    });
    if (o.forcePathStyle) {
      // Path-style bucket-level requests are signed as `/bucket/`; some S3-compatible servers
      // canonicalise them as `/bucket`. Both forms mean the same thing to S3 and MinIO.
      this.client.middlewareStack.add(
        (next) => (args) => {
          const req = args.request as { path?: string };
          if (req.path && /^\/[^/]+\/$/.test(req.path)) req.path = req.path.slice(0, -1);
          return next(args);
        },
        { step: 'build', name: 'bucketPathNoTrailingSlash' },
      );
    }
  }

  async presignPut(
    key: string,
    o: { contentType: string; contentLength: number; expiresInSec: number },
  ): Promise<PresignedRequest> {
    assertValidKey(key);
    const url = await getSignedUrl(
      this.client,
      new PutObjectCommand({
        Bucket: this.o.bucket,
        Key: key,
        ContentType: o.contentType,
        ContentLength: o.contentLength,
      }),
      { expiresIn: o.expiresInSec, signableHeaders: new Set(['content-type', 'content-length']) },
    );
    return {
      url,
      method: 'PUT',
      headers: { 'Content-Type': o.contentType },
      expiresAt: new Date(Date.now() + o.expiresInSec * 1000),
    };
  }

  async presignGet(key: string, o: { expiresInSec: number }): Promise<PresignedRequest> {
    assertValidKey(key);
    const url = await getSignedUrl(
      this.client,
      new GetObjectCommand({ Bucket: this.o.bucket, Key: key }),
      { expiresIn: o.expiresInSec },
    );
    return {
      url,
      method: 'GET',
      headers: {},
      expiresAt: new Date(Date.now() + o.expiresInSec * 1000),
    };
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.o.bucket, Key: key }));
      return { size: r.ContentLength ?? 0, contentType: r.ContentType };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async get(key: string): Promise<Buffer> {
    const r = await this.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: key }));
    if (!r.Body) throw new Error(`Empty body for ${key}`);
    return Buffer.from(await r.Body.transformToByteArray());
  }

  async put(key: string, body: Buffer, o: PutOptions): Promise<void> {
    assertValidKey(key);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.o.bucket,
        Key: key,
        Body: body,
        ContentType: o.contentType,
        CacheControl: o.cacheControl,
      }),
    );
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.o.bucket,
          Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
        }),
      );
    }
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.o.bucket }));
  }
}

function isNotFound(err: unknown): boolean {
  return (
    err instanceof S3ServiceException &&
    (err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404)
  );
}
