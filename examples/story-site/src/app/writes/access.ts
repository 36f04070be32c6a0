/** Role checks of the write paths: the tool's own, the same the HTTP API applies to every route. */
export { requireRole } from 'tandem';
