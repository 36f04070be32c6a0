/** The view shown, kept in the URL's hash (`#/flags`, `#/checklist/story`) so a view can be linked and reloaded. */
export const VIEWS = [
  ['tables', 'Tables'],
  ['charts', 'Charts'],
  ['flags', 'Flags'],
  ['dead-letters', 'Dead letters'],
  ['history', 'History'],
  ['checklist', 'Checklist'],
] as const;
export type View = (typeof VIEWS)[number][0];

export interface Route {
  view: View;
  /** The table a view is focused on (checklist), if any. */
  table: string | null;
}

export function parseRoute(hash: string): Route {
  const [view, table] = hash.replace(/^#\/?/, '').split('/');
  const known = VIEWS.find(([id]) => id === view);
  return { view: known ? known[0] : 'tables', table: table ? decodeURIComponent(table) : null };
}

export function routeHash(route: Route): string {
  return route.table ? `#/${route.view}/${encodeURIComponent(route.table)}` : `#/${route.view}`;
}
