/** Course write routes (admin). */
import type { FastifyInstance } from 'fastify';
import { saveCourseInput } from '../../app/inputs.js';
import { bodyForCreate, bodyWithPath, idParam } from '../params.js';
import { addRoute, type ApiContext } from '../routeKit.js';
import { bodyFromInput, responses } from '../schemas.js';

export function courseRoutes(app: FastifyInstance, { deps, writes }: ApiContext): void {
  const common = {
    tag: 'courses',
    access: 'admin',
    writes: true,
    response: responses.savedCourse,
  } as const;
  addRoute(app, {
    ...common,
    method: 'POST',
    url: '/api/courses',
    summary: 'Create a course (short and language names are derived from its languages)',
    body: bodyFromInput(saveCourseInput, ['id']),
    status: 201,
    handler: (req) => writes(req).saveCourse(deps, req.actor, bodyForCreate(req.body)),
  });
  addRoute(app, {
    ...common,
    method: 'PUT',
    url: '/api/courses/:id',
    summary: 'Update a course',
    params: { id: 'integer' },
    body: bodyFromInput(saveCourseInput, ['id']),
    handler: (req) =>
      writes(req).saveCourse(
        deps,
        req.actor,
        bodyWithPath(req.body, { id: idParam(req.params, 'id') }),
      ),
  });
}
