/** The story site's six invariants as an invariant suite the tool runs (the config lists this module). */
import type { InvariantSuite } from 'tandem';
import { checkInvariantsConvex } from './convex.js';
import { INVARIANTS } from './definitions.js';
import { checkInvariantsPostgres } from './postgres.js';

const storySiteInvariants: InvariantSuite = {
  name: 'story-site',
  invariants: INVARIANTS,
  checkPostgres: (db) => checkInvariantsPostgres(db),
  checkConvex: (reader) => checkInvariantsConvex(reader),
};

export default storySiteInvariants;
