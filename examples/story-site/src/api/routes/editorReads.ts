/** Read routes of the editor: every course, and one course's working view. */
import type { FastifyInstance } from 'fastify';
import { idParam } from 'tandem';
import { addRoute } from 'tandem';
import { type ApiContext } from '../context.js';
import { responses } from '../schemas.js';

export function editorReadRoutes(app: FastifyInstance, { reads }: ApiContext): void {
  addRoute(app, {
    method: 'GET',
    url: '/api/editor/courses',
    access: 'editor',
    tag: 'editor',
    summary: 'Every course with its story count and todo count',
    response: responses.editorCourses,
    handler: (req) => reads(req).editorCourses(),
  });
  addRoute(app, {
    method: 'GET',
    url: '/api/editor/courses/:id',
    access: 'editor',
    tag: 'editor',
    summary: 'A course with every non-deleted story, its status and approval count',
    params: { id: 'integer' },
    response: responses.editorCourse,
    handler: (req) => reads(req).editorCourse(idParam(req.params, 'id')),
  });
}
