/** Read routes of the public site: open to anyone, anonymous included. */
import type { FastifyInstance } from 'fastify';
import { idParam, intParam, stringParam, withPathTargets } from '../params.js';
import { addRoute, type ApiContext } from '../routeKit.js';
import { responses } from '../schemas.js';

export function publicReadRoutes(app: FastifyInstance, { reads }: ApiContext): void {
  const common = { method: 'GET', access: 'anonymous', tag: 'reads' } as const;
  addRoute(app, {
    ...common,
    url: '/api/courses',
    summary: 'Public courses, ordered by from-language then name, with site totals',
    response: responses.publicCourses,
    handler: () => reads.publicCourses(),
  });
  addRoute(app, {
    ...common,
    url: '/api/courses/:short/stories',
    summary: 'A course and its public stories, by set and index',
    params: { short: 'string' },
    response: responses.courseStories,
    handler: (req) => reads.courseStories(stringParam(req.params, 'short')),
  });
  addRoute(app, {
    ...common,
    url: '/api/stories/:id',
    summary: "A story with its text, json and its course's language ids",
    params: { id: 'integer' },
    response: responses.story,
    handler: (req) => reads.storyById(idParam(req.params, 'id')),
  });
  addRoute(app, {
    ...common,
    url: '/api/users/:userId/courses/:courseId/done',
    summary: 'The stories of a course a user has finished, with the latest time',
    params: { userId: 'integer', courseId: 'integer' },
    response: responses.doneStories,
    handler: (req) =>
      reads.userDoneStories(idParam(req.params, 'userId'), idParam(req.params, 'courseId')),
  });
  addRoute(app, {
    ...common,
    url: '/api/stats/:year/:month',
    summary: 'Monthly stats per course and site-wide (UTC month)',
    params: { year: 'integer', month: 'integer' },
    response: responses.monthlyStats,
    handler: (req) =>
      reads.monthlyStats(intParam(req.params, 'year'), intParam(req.params, 'month')),
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
    handler: (req) => reads.languageById(idParam(req.params, 'id')),
  });
  addRoute(app, {
    ...common,
    url: '/api/languages/:id/localization',
    summary: "A language's localization dictionary (tag → text)",
    params: { id: 'integer' },
    response: responses.localization,
    handler: (req) => languageInPath(req.params, (id) => reads.localization(id)),
  });
  addRoute(app, {
    ...common,
    url: '/api/languages/:id/avatar-mappings',
    summary: "A language's avatar mappings with each avatar's link and name",
    params: { id: 'integer' },
    response: responses.avatarMappings,
    handler: (req) => languageInPath(req.params, (id) => reads.avatarMappings(id)),
  });
  addRoute(app, {
    ...common,
    url: '/api/images/:id',
    summary: 'An image',
    params: { id: 'string' },
    response: responses.image,
    handler: (req) => reads.imageById(stringParam(req.params, 'id')),
  });
}
