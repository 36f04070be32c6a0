/**
 * What to put in place of a `${…}` interpolation so the surrounding SQL parses.
 *
 * In a tagged template (`sql\`…\``, the postgres.js / Prisma / Slonik style) an
 * interpolation is a bound value unless it is itself SQL:
 * - a nested `sql\`…\`` template (also as a branch of `a ? b : c` or `a && b`,
 *   or through a `const` of this file) is inlined, text and positions included;
 * - a helper call `sql(…)` becomes, by what precedes it:
 *   after `INSERT INTO t` → `(col) values ($n)`; after `SET` → `col = $n`;
 *   after `IN` / `VALUES` → `($n)`; with one string argument → that name as a
 *   quoted identifier (postgres.js escapes it so: `sql('users')` is `"users"`);
 *   otherwise a made-up identifier;
 * - `sql.unsafe('…')` with a literal argument inlines the literal;
 * - anything else is a value `$n`.
 * In an untagged template passed to a query function, the interpolation is raw
 * text: a `const` string of this file is inlined, after FROM/JOIN/INTO/UPDATE/
 * TABLE or a dot a made-up identifier is used, elsewhere a value.
 * Every slot also offers the other shapes as fallbacks (nothing, a value, an
 * identifier) for the parse retries. Made-up identifiers contain
 * SYNTHETIC_NAME_PREFIX, so they are recognised as dynamic names, never as tables.
 */
import ts from 'typescript';
import { SYNTHETIC_NAME_PREFIX } from './tableRefs.js';
import { newSlotId, type SlotCandidate, type SnippetPart } from './snippet.js';

export interface InterpolationContext {
  sourceFile: ts.SourceFile;
  isSqlTag(expr: ts.Expression): boolean;
  /** The parts of a template literal, its own interpolations resolved recursively. */
  templateParts(template: ts.TemplateLiteral, tagged: boolean): SnippetPart[];
  /** Parts for a string literal's content, located in the file. */
  literalParts(literal: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral): SnippetPart[];
  /** The initializer of a `const` with this name in the file, when there is exactly one. */
  constInitializer(name: string): ts.Expression | undefined;
  nextParam(): number;
}

type Keyed = SlotCandidate & { key: string };

export function taggedSlot(
  expr: ts.Expression,
  before: string,
  ctx: InterpolationContext,
): SnippetPart {
  const fileStart = expr.getStart(ctx.sourceFile) - 2;
  const candidates = dedupe([...taggedCandidates(expr, before, ctx, 0), ...fallbacks(expr, ctx)]);
  return { kind: 'slot', id: newSlotId(), fileStart, candidates };
}

export function untaggedSlot(
  expr: ts.Expression,
  before: string,
  ctx: InterpolationContext,
): SnippetPart {
  const fileStart = expr.getStart(ctx.sourceFile) - 2;
  const inner = unwrap(expr);
  const literal = ts.isIdentifier(inner)
    ? stringInitializer(ctx.constInitializer(inner.text))
    : stringInitializer(inner);
  const first: Keyed[] = literal
    ? [{ key: `inline:${literal.pos}`, parts: ctx.literalParts(literal) }]
    : [];
  if (/\bvalues\s*$/i.test(before)) first.push(list(expr, ctx));
  const namePosition = /(\b(from|join|into|update|table|only)|\.)\s*$/i.test(before);
  const ordered = namePosition
    ? [identifier(expr, ctx), value(expr, ctx), empty(), list(expr, ctx)]
    : [value(expr, ctx), identifier(expr, ctx), empty(), list(expr, ctx)];
  return { kind: 'slot', id: newSlotId(), fileStart, candidates: dedupe([...first, ...ordered]) };
}

function taggedCandidates(
  expr: ts.Expression,
  before: string,
  ctx: InterpolationContext,
  depth: number,
): Keyed[] {
  const e = unwrap(expr);
  if (depth > 4) return [];
  if (ts.isTaggedTemplateExpression(e) && ctx.isSqlTag(e.tag)) return [inline(e, ctx), empty()];
  if (ts.isConditionalExpression(e)) {
    return [
      ...taggedCandidates(e.whenTrue, before, ctx, depth + 1),
      ...taggedCandidates(e.whenFalse, before, ctx, depth + 1),
    ];
  }
  if (ts.isBinaryExpression(e) && isLogical(e.operatorToken.kind)) {
    return [...taggedCandidates(e.right, before, ctx, depth + 1), empty()];
  }
  if (ts.isCallExpression(e)) return callCandidates(e, before, ctx);
  if (ts.isIdentifier(e)) {
    const init = ctx.constInitializer(e.text);
    const initTag = init && unwrap(init);
    if (initTag && ts.isTaggedTemplateExpression(initTag) && ctx.isSqlTag(initTag.tag))
      return [inline(initTag, ctx), empty()];
  }
  return [value(expr, ctx)];
}

function callCandidates(
  call: ts.CallExpression,
  before: string,
  ctx: InterpolationContext,
): Keyed[] {
  const callee = call.expression;
  const firstArg = call.arguments[0];
  if (
    ts.isPropertyAccessExpression(callee) &&
    callee.name.text === 'unsafe' &&
    ctx.isSqlTag(callee.expression)
  ) {
    const literal = stringInitializer(firstArg);
    return literal
      ? [{ key: `inline:${literal.pos}`, parts: ctx.literalParts(literal) }, empty()]
      : [empty()];
  }
  if (!ctx.isSqlTag(callee)) return [value(call, ctx)];
  const tail = before.trimEnd().toLowerCase();
  const at = call.getStart(ctx.sourceFile) - 2;
  if (/\binsert\s+into\s+("[^"]*"|[\w$.]+)(\s+as\s+[\w$]+)?$/.test(tail)) {
    return [synthetic('insert', `(${SYNTHETIC_NAME_PREFIX}col) values ($${ctx.nextParam()})`, at)];
  }
  if (/\bset$/.test(tail))
    return [synthetic('set', `${SYNTHETIC_NAME_PREFIX}col = $${ctx.nextParam()}`, at)];
  if (/\b(in|values)$/.test(tail)) return [list(call, ctx)];
  return namedIdentifiers(call, ctx) ?? [identifier(call, ctx)];
}

/** `sql('users')` and `sql(['a', 'b'])` name identifiers, which postgres.js quotes. */
function namedIdentifiers(call: ts.CallExpression, ctx: InterpolationContext): Keyed[] | undefined {
  const arg = call.arguments.length === 1 ? unwrap(call.arguments[0] as ts.Expression) : undefined;
  if (arg && ts.isStringLiteralLike(arg)) {
    const quoted = `"${arg.text.replace(/"/g, '""')}"`;
    const start = arg.getStart(ctx.sourceFile);
    // Same length as the source literal when nothing needed doubling: map it character for character.
    const part: SnippetPart =
      quoted.length === arg.getWidth(ctx.sourceFile)
        ? { kind: 'source', text: quoted, fileStart: start }
        : { kind: 'synthetic', text: quoted, fileStart: start };
    return [{ key: `name:${start}`, parts: [part] }];
  }
  if (
    arg &&
    ts.isArrayLiteralExpression(arg) &&
    arg.elements.every((el) => ts.isStringLiteralLike(el))
  ) {
    const names = arg.elements
      .map((el) => `"${(el as ts.StringLiteralLike).text.replace(/"/g, '""')}"`)
      .join(', ');
    return [synthetic(`names:${arg.pos}`, names, arg.getStart(ctx.sourceFile))];
  }
  return undefined;
}

function fallbacks(expr: ts.Expression, ctx: InterpolationContext): Keyed[] {
  return [value(expr, ctx), empty(), identifier(expr, ctx), list(expr, ctx)];
}

/** A parenthesised value list, for `IN ${…}` and `VALUES ${…}`. */
function list(expr: ts.Expression, ctx: InterpolationContext): Keyed {
  return synthetic('list', `($${ctx.nextParam()})`, expr.getStart(ctx.sourceFile) - 2);
}

function inline(template: ts.TaggedTemplateExpression, ctx: InterpolationContext): Keyed {
  return {
    key: `inline:${template.pos}`,
    parts: ctx.templateParts(template.template, true),
    inlined: [template],
  };
}

function value(expr: ts.Expression, ctx: InterpolationContext): Keyed {
  return synthetic('value', `$${ctx.nextParam()}`, expr.getStart(ctx.sourceFile) - 2);
}

function identifier(expr: ts.Expression, ctx: InterpolationContext): Keyed {
  return synthetic(
    'identifier',
    `${SYNTHETIC_NAME_PREFIX}dynamic_${ctx.nextParam()}`,
    expr.getStart(ctx.sourceFile) - 2,
  );
}

function empty(): Keyed {
  return { key: 'empty', parts: [] };
}

function synthetic(key: string, text: string, fileStart: number): Keyed {
  return { key, parts: [{ kind: 'synthetic', text, fileStart }] };
}

function dedupe(candidates: Keyed[]): SlotCandidate[] {
  const seen = new Set<string>();
  return candidates.filter((c) => !seen.has(c.key) && seen.add(c.key));
}

function isLogical(kind: ts.SyntaxKind): boolean {
  return (
    kind === ts.SyntaxKind.AmpersandAmpersandToken ||
    kind === ts.SyntaxKind.BarBarToken ||
    kind === ts.SyntaxKind.QuestionQuestionToken
  );
}

/** Strips parentheses, `as`, `!`, `satisfies` and `await`, which do not change what SQL an expression stands for. */
export function unwrap(expr: ts.Expression): ts.Expression {
  let e = expr;
  while (
    ts.isParenthesizedExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isNonNullExpression(e) ||
    ts.isSatisfiesExpression(e) ||
    ts.isAwaitExpression(e)
  ) {
    e = e.expression;
  }
  return e;
}

/** The expression as a plain string literal (no interpolation), if it is one. */
export function stringInitializer(
  expr: ts.Expression | undefined,
): ts.StringLiteral | ts.NoSubstitutionTemplateLiteral | undefined {
  const e = expr && unwrap(expr);
  return e && (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) ? e : undefined;
}
