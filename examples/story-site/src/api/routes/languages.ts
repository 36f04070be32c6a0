/** Language write routes, and the per-language lookups editors maintain (localizations, avatar speakers). */
import type { FastifyInstance } from 'fastify';
import {
  avatarSpeakerInput,
  languageDefaultTextInput,
  languageTtsReplaceInput,
  localizationInput,
  saveLanguageInput,
} from '../../app/inputs.js';
import { bodyForCreate, bodyWithPath, idParam, objectBody } from 'tandem';
import { addRoute } from 'tandem';
import { type ApiContext } from '../context.js';
import { bodyFromInput } from 'tandem';
import { responses } from '../schemas.js';

export function languageRoutes(app: FastifyInstance, { deps, writes }: ApiContext): void {
  const common = { tag: 'languages', writes: true, response: responses.id } as const;
  const pathId = (params: unknown) => ({ id: idParam(params, 'id') });
  addRoute(app, {
    ...common,
    method: 'POST',
    url: '/api/languages',
    access: 'admin',
    summary: 'Create a language',
    body: bodyFromInput(saveLanguageInput, ['id']),
    status: 201,
    handler: (req) => writes(req).saveLanguage(deps, req.actor, bodyForCreate(req.body)),
  });
  addRoute(app, {
    ...common,
    method: 'PUT',
    url: '/api/languages/:id',
    access: 'admin',
    summary: 'Update a language (a rename updates the copied names in its courses)',
    params: { id: 'integer' },
    body: bodyFromInput(saveLanguageInput, ['id']),
    handler: (req) =>
      writes(req).saveLanguage(deps, req.actor, bodyWithPath(req.body, pathId(req.params))),
  });
  addRoute(app, {
    ...common,
    method: 'PUT',
    url: '/api/languages/:id/default-text',
    access: 'editor',
    summary: "Set a language's default text",
    params: { id: 'integer' },
    body: bodyFromInput(languageDefaultTextInput, ['id']),
    handler: (req) =>
      writes(req).setLanguageDefaultText(
        deps,
        req.actor,
        bodyWithPath(req.body, pathId(req.params)),
      ),
  });
  addRoute(app, {
    ...common,
    method: 'PUT',
    url: '/api/languages/:id/tts-replace',
    access: 'editor',
    summary: "Set a language's text-to-speech replacements",
    params: { id: 'integer' },
    body: bodyFromInput(languageTtsReplaceInput, ['id']),
    handler: (req) =>
      writes(req).setLanguageTtsReplace(
        deps,
        req.actor,
        bodyWithPath(req.body, pathId(req.params)),
      ),
  });
  addRoute(app, {
    ...common,
    method: 'PUT',
    url: '/api/avatar-mappings',
    access: 'editor',
    summary: "Set an avatar's name and speaker for a language (upsert by avatar_id, language_id)",
    body: bodyFromInput(avatarSpeakerInput),
    handler: (req) => writes(req).setAvatarSpeaker(deps, req.actor, objectBody(req.body)),
  });
  addRoute(app, {
    ...common,
    method: 'PUT',
    url: '/api/localizations',
    access: 'editor',
    summary: 'Save a localization entry (upsert by language_id, tag)',
    body: bodyFromInput(localizationInput),
    handler: (req) => writes(req).saveLocalization(deps, req.actor, objectBody(req.body)),
  });
}
