/** Course write routes (admin). */
import type { FastifyInstance } from 'fastify';
import { saveCourseInput } from '../../app/inputs.js';
import { bodyForCreate, bodyWithPath, idParam } from 'tandem';
import { addRoute } from 'tandem';
import { type ApiContext } from '../context.js';
import { bodyFromInput } from 'tandem';
import { responses } from '../schemas.js';

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
