/** Image, avatar and speaker write routes (admin). */
import type { FastifyInstance } from 'fastify';
import { saveAvatarInput, saveImageInput, saveSpeakerInput } from '../../app/inputs.js';
import { bodyForCreate, bodyWithPath, idParam, stringParam } from 'tandem';
import { addRoute } from 'tandem';
import { type ApiContext } from '../context.js';
import type { StorySiteWritePathName } from '../../app/writes/routing.js';
import { bodyFromInput } from 'tandem';
import { responses } from '../schemas.js';
import type { z } from 'zod';

export function mediaRoutes(app: FastifyInstance, { deps, writes }: ApiContext): void {
  addRoute(app, {
    method: 'PUT',
    url: '/api/images/:id',
    access: 'admin',
    tag: 'media',
    writes: true,
    summary: 'Create or update an image',
    params: { id: 'string' },
    body: bodyFromInput(saveImageInput, ['id']),
    response: responses.stringId,
    handler: (req) =>
      writes(req).saveImage(
        deps,
        req.actor,
        bodyWithPath(req.body, { id: stringParam(req.params, 'id') }),
      ),
  });
  createAndUpdate(app, { deps, writes }, 'avatars', 'an avatar', saveAvatarInput, 'saveAvatar');
  createAndUpdate(
    app,
    { deps, writes },
    'speakers',
    'a text-to-speech voice',
    saveSpeakerInput,
    'saveSpeaker',
  );
}

function createAndUpdate(
  app: FastifyInstance,
  { deps, writes }: Pick<ApiContext, 'deps' | 'writes'>,
  collection: string,
  what: string,
  input: z.ZodType,
  save: Extract<StorySiteWritePathName, 'saveAvatar' | 'saveSpeaker'>,
): void {
  const common = { access: 'admin', tag: 'media', writes: true, response: responses.id } as const;
  addRoute(app, {
    ...common,
    method: 'POST',
    url: `/api/${collection}`,
    summary: `Create ${what}`,
    body: bodyFromInput(input, ['id']),
    status: 201,
    handler: (req) => writes(req)[save](deps, req.actor, bodyForCreate(req.body)),
  });
  addRoute(app, {
    ...common,
    method: 'PUT',
    url: `/api/${collection}/:id`,
    summary: `Update ${what}`,
    params: { id: 'integer' },
    body: bodyFromInput(input, ['id']),
    handler: (req) =>
      writes(req)[save](deps, req.actor, bodyWithPath(req.body, { id: idParam(req.params, 'id') })),
  });
}
