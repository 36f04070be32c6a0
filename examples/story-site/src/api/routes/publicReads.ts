/**
 * Read routes of the public site: open to anyone, anonymous included, each
 * showing only what its caller may see (visibility.ts).
 */
import type { FastifyInstance } from 'fastify';
import { idParam, intParam, stringParam, withPathTargets } from 'tandem';
import { addRoute } from 'tandem';
import { type ApiContext } from '../context.js';
import { requireHistoryAccess, visibleCourseStories, visibleStory } from '../visibility.js';
import { responses } from '../schemas.js';

export function publicReadRoutes(app: FastifyInstance, { reads }: ApiContext): void {
  const common = { method: 'GET', access: 'anonymous', tag: 'reads' } as const;
  addRoute(app, {
    ...common,
    url: '/api/courses',
    summary: 'Public courses, ordered by from-language then name, with site totals',
    response: responses.publicCourses,
    handler: (req) => reads(req).publicCourses(),
  });
  addRoute(app, {
    ...common,
    url: '/api/courses/:short/stories',
    summary:
      'A course and its public stories, by set and index (a non-public course: editors and admins only, else 404)',
    params: { short: 'string' },
    response: responses.courseStories,
    handler: (req) => visibleCourseStories(reads(req), req.actor, stringParam(req.params, 'short')),
  });
  addRoute(app, {
    ...common,
    url: '/api/stories/:id',
    summary:
      "A story with its text, json and its course's language ids (unpublished, or in a non-public course: editors and admins only, else 404)",
    params: { id: 'integer' },
    response: responses.story,
    handler: (req) => visibleStory(reads(req), req.actor, idParam(req.params, 'id')),
  });
  addRoute(app, {
    ...common,
    access: 'reader',
    url: '/api/users/:userId/courses/:courseId/done',
    summary:
      'The stories of a course a user has finished, with the latest time (that user, editors and admins only)',
    params: { userId: 'integer', courseId: 'integer' },
    response: responses.doneStories,
    handler: (req) => {
      const userId = idParam(req.params, 'userId');
      requireHistoryAccess(req.actor, userId);
      return reads(req).userDoneStories(userId, idParam(req.params, 'courseId'));
    },
  });
  addRoute(app, {
    ...common,
    url: '/api/stats/:year/:month',
    summary: 'Monthly stats per course and site-wide (UTC month)',
    params: { year: 'integer', month: 'integer' },
    response: responses.monthlyStats,
    handler: (req) =>
      reads(req).monthlyStats(intParam(req.params, 'year'), intParam(req.params, 'month')),
  });
  lookupRoutes(app, reads);
}

/** The read path names the language `languageId`; here the path calls it `id`. */
function languageInPath<R>(params: unknown, read: (languageId: number) => Promise<R>): Promise<R> {
  const id = idParam(params, 'id');
  return withPathTargets(() => read(id), {
    languageId: { param: 'id', entity: 'language', key: id },
  });
}

function lookupRoutes(app: FastifyInstance, reads: ApiContext['reads']): void {
  const common = { method: 'GET', access: 'anonymous', tag: 'reads' } as const;
  addRoute(app, {
    ...common,
    url: '/api/languages/:id',
    summary: 'A language',
    params: { id: 'integer' },
    response: responses.language,
    handler: (req) => reads(req).languageById(idParam(req.params, 'id')),
  });
  addRoute(app, {
    ...common,
    url: '/api/languages/:id/localization',
    summary: "A language's localization dictionary (tag → text)",
    params: { id: 'integer' },
    response: responses.localization,
    handler: (req) => languageInPath(req.params, (id) => reads(req).localization(id)),
  });
  addRoute(app, {
    ...common,
    url: '/api/languages/:id/avatar-mappings',
    summary: "A language's avatar mappings with each avatar's link and name",
    params: { id: 'integer' },
    response: responses.avatarMappings,
    handler: (req) => languageInPath(req.params, (id) => reads(req).avatarMappings(id)),
  });
  addRoute(app, {
    ...common,
    url: '/api/images/:id',
    summary: 'An image',
    params: { id: 'string' },
    response: responses.image,
    handler: (req) => reads(req).imageById(stringParam(req.params, 'id')),
  });
}
