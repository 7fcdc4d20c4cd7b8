import { z } from 'zod';
import { isoDateTime, uuid } from './common';
import { userSummary } from './users';

export const COMMENT_MAX_LENGTH = 1000;

export const commentBodyText = z
  .string()
  .trim()
  .min(1, 'Write something')
  .max(COMMENT_MAX_LENGTH, `At most ${COMMENT_MAX_LENGTH} characters`);

export const createCommentBody = z.object({ body: commentBodyText }).strict();
export type CreateCommentBody = z.infer<typeof createCommentBody>;

export const updateCommentBody = createCommentBody;
export type UpdateCommentBody = z.infer<typeof updateCommentBody>;

export const comment = z
  .object({
    id: uuid,
    itemId: uuid,
    author: userSummary,
    body: z.string(),
    edited: z.boolean(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: 'Comment' });
export type Comment = z.infer<typeof comment>;
