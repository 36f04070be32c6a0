/** Story write routes: save, delete, import, approvals, publication, and "story done". */
import type { FastifyInstance } from 'fastify';
import { saveStoryInput } from '../../app/inputs.js';
import { bodyWithPath, idParam, objectBody, withPathTargets } from 'tandem';
import { addRoute } from 'tandem';
import { type ApiContext } from '../context.js';
import { bodyFromInput } from 'tandem';
import { responses } from '../schemas.js';

export function storyRoutes(app: FastifyInstance, { deps, writes }: ApiContext): void {
  const common = { tag: 'stories', writes: true } as const;
  const savedStatus = (r: { created: boolean }) => (r.created ? 201 : 200);
  addRoute(app, {
    ...common,
    method: 'PUT',
    url: '/api/stories/:id',
    access: 'editor',
    summary: 'Save a story by id',
    params: { id: 'integer' },
    body: bodyFromInput(saveStoryInput, ['id']),
    response: responses.savedStory,
    status: savedStatus,
    handler: (req) =>
      writes(req).saveStory(
        deps,
        req.actor,
        bodyWithPath(req.body, { id: idParam(req.params, 'id') }),
      ),
  });
  addRoute(app, {
    ...common,
    method: 'PUT',
    url: '/api/stories',
    access: 'editor',
    summary: 'Save a story found by (duo_id, course_id), creating it when absent',
    body: bodyFromInput(saveStoryInput),
    response: responses.savedStory,
    status: savedStatus,
    handler: (req) => writes(req).saveStory(deps, req.actor, objectBody(req.body)),
  });
  addRoute(app, {
    ...common,
    method: 'DELETE',
    url: '/api/stories/:id',
    access: 'editor',
    summary: 'Soft-delete a story',
    params: { id: 'integer' },
    response: responses.id,
    handler: (req) => writes(req).deleteStory(deps, req.actor, { id: idParam(req.params, 'id') }),
  });
  addRoute(app, {
    ...common,
    method: 'POST',
    url: '/api/courses/:courseId/import/:storyId',
    access: 'editor',
    summary: 'Copy a story into a course as a new draft',
    params: { courseId: 'integer', storyId: 'integer' },
    response: responses.id,
    status: 201,
    handler: (req) => {
      const course_id = idParam(req.params, 'courseId');
      const story_id = idParam(req.params, 'storyId');
      const story = { param: 'storyId', entity: 'story', key: story_id };
      return withPathTargets(
        () => writes(req).importStory(deps, req.actor, { course_id, story_id }),
        {
          id: story,
          story_id: story,
          course_id: { param: 'courseId', entity: 'course', key: course_id },
        },
      );
    },
  });
  approvalRoutes(app, deps, writes);
}

/** A write on the story named by the path's `:id`, given to the write as `story_id`. */
function storyInPath<R>(params: unknown, write: (storyId: number) => Promise<R>): Promise<R> {
  const id = idParam(params, 'id');
  return withPathTargets(() => write(id), { story_id: { param: 'id', entity: 'story', key: id } });
}

function approvalRoutes(
  app: FastifyInstance,
  deps: ApiContext['deps'],
  writes: ApiContext['writes'],
): void {
  const common = { tag: 'stories', writes: true } as const;
  addRoute(app, {
    ...common,
    method: 'POST',
    url: '/api/stories/:id/approval',
    access: 'editor',
    summary: "Add the caller's approval of a story, or remove it if present",
    params: { id: 'integer' },
    response: responses.approval,
    handler: (req) =>
      storyInPath(req.params, (story_id) =>
        writes(req).toggleApproval(deps, req.actor, { story_id }),
      ),
  });
  addRoute(app, {
    ...common,
    method: 'DELETE',
    url: '/api/approvals/:id',
    access: 'admin',
    summary: 'Remove an approval by its id',
    params: { id: 'integer' },
    response: responses.approval,
    handler: (req) =>
      writes(req).removeApproval(deps, req.actor, { id: idParam(req.params, 'id') }),
  });
  addRoute(app, {
    ...common,
    method: 'POST',
    url: '/api/stories/:id/toggle-published',
    access: 'admin',
    summary: 'Publish or unpublish a story',
    params: { id: 'integer' },
    response: responses.published,
    handler: (req) =>
      writes(req).togglePublished(deps, req.actor, { id: idParam(req.params, 'id') }),
  });
  addRoute(app, {
    ...common,
    method: 'POST',
    url: '/api/stories/:id/done',
    access: 'anonymous',
    summary: 'Record that the caller (or an anonymous reader) finished a story',
    params: { id: 'integer' },
    response: responses.id,
    status: 201,
    handler: (req) =>
      storyInPath(req.params, (story_id) =>
        writes(req).recordStoryDone(deps, req.actor, { story_id }),
      ),
  });
}
