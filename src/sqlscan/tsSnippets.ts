/**
 * Finds SQL in a TypeScript/JavaScript file with the TypeScript compiler's parser,
 * where applications keep it:
 * - tagged templates whose tag is named `sql` (or ends in `sql`, any case:
 *   `sql`, `tx.sql`, `Prisma.sql`, `SQL`), `tx`/`trx`, Prisma's
 *   `$queryRaw`/`$executeRaw`, or a local postgres.js client (`const db =
 *   postgres(url)`, the `t` of `sql.begin(async (t) => …)`);
 * - the first argument of query-like calls (`query`, `execute`, `unsafe`, `raw`,
 *   `prepare`, `$queryRawUnsafe`, pg-promise's `one`/`many`/`none`/…): a string,
 *   a template, a `{ text: … }` query object, or a `const` of this file holding one;
 * - SQL kept in plain strings elsewhere (looseSqlStrings.ts).
 * Strings and untagged templates count only when they start with a SQL statement
 * keyword, so `router.get('/admin/users')` or a log message never reaches the
 * parser. JSX text, comments and identifiers are never looked at.
 */
import ts from 'typescript';
import { decodeLiteral } from './literalText.js';
import { SYNTHETIC_NAME_PREFIX } from './tableRefs.js';
import { taggedSlot, untaggedSlot, unwrap, type InterpolationContext } from './interpolation.js';
import { looseSqlStrings, type LiteralSource } from './looseSqlStrings.js';
import { defaultText, startsLikeStatement, type Snippet, type SnippetPart } from './snippet.js';

const QUERY_METHODS = new Set([
  'query',
  'execute',
  'unsafe',
  'raw',
  'prepare',
  'exec',
  '$queryRawUnsafe',
  '$executeRawUnsafe',
  'many',
  'manyOrNone',
  'one',
  'oneOrNone',
  'none',
  'any',
  'multi',
  'result',
]);
const SQL_TAG = /sql$/i;
const TAG_NAMES = new Set(['tx', 'trx', '$queryRaw', '$executeRaw']);

export function scriptKindFor(fileName: string): ts.ScriptKind {
  if (/\.tsx$/.test(fileName)) return ts.ScriptKind.TSX;
  if (/\.jsx$/.test(fileName)) return ts.ScriptKind.JSX;
  if (/\.[cm]?js$/.test(fileName)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

export function parseSourceFile(fileName: string, text: string): ts.SourceFile {
  return ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, scriptKindFor(fileName));
}

function calleeName(expr: ts.Expression): string | undefined {
  if (ts.isIdentifier(expr)) return expr.text;
  if (ts.isPropertyAccessExpression(expr)) return expr.name.text;
  return undefined;
}

/** A tag or helper named like a SQL client: `sql`, `tx.sql`, `SQL`, `tx`/`trx`, Prisma's raw tags, or a local alias. */
export function isSqlTag(expr: ts.Expression, aliases: ReadonlySet<string> = new Set()): boolean {
  const name = calleeName(expr);
  return name !== undefined && (SQL_TAG.test(name) || TAG_NAMES.has(name) || aliases.has(name));
}

/**
 * Local names for a postgres.js client: `const db = postgres(url)`, and the
 * transaction parameter of `sql.begin(async (t) => …)` / `sql.savepoint(…)`.
 */
function collectSqlAliases(sourceFile: ts.SourceFile): Set<string> {
  const aliases = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const init = unwrap(node.initializer);
      if (
        ts.isCallExpression(init) &&
        ts.isIdentifier(init.expression) &&
        init.expression.text === 'postgres'
      )
        aliases.add(node.name.text);
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const callback = node.arguments.find(
        (a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a),
      );
      const param = callback && (callback as ts.ArrowFunction).parameters[0];
      if (
        (method === 'begin' || method === 'savepoint') &&
        param &&
        ts.isIdentifier(param.name) &&
        isSqlTag(node.expression.expression, aliases)
      ) {
        aliases.add(param.name.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return aliases;
}

/** Every SQL snippet of the file, outer ones before the templates nested in them. */
export function findSnippets(sourceFile: ts.SourceFile): Snippet[] {
  const consts = collectConsts(sourceFile);
  const aliases = collectSqlAliases(sourceFile);
  const isTag = (expr: ts.Expression): boolean => isSqlTag(expr, aliases);
  let param = 0;
  const ctx: InterpolationContext = {
    sourceFile,
    isSqlTag: isTag,
    templateParts: (template, tagged) => templateParts(template, tagged, ctx),
    literalParts: (literal) => literalParts(literal, sourceFile),
    constInitializer: (name) => consts.get(name) ?? undefined,
    nextParam: () => ++param,
  };
  const snippets: Snippet[] = [];
  const scannedLiterals = new Set<ts.Node>();
  const visit = (node: ts.Node): void => {
    if (ts.isTaggedTemplateExpression(node) && isTag(node.tag)) {
      const parts = templateParts(node.template, true, ctx);
      snippets.push({
        parts,
        fileStart: node.template.getStart(sourceFile),
        mayBeFragment: true,
        node,
      });
    } else if (ts.isCallExpression(node)) {
      const found = queryCallSnippet(node, ctx, scannedLiterals);
      if (found) snippets.push(found);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  const makeSnippet = (source: LiteralSource, node: ts.Node) => literalSnippet(source, ctx, node);
  snippets.push(...looseSqlStrings(sourceFile, makeSnippet, scannedLiterals));
  return snippets;
}

function queryCallSnippet(
  call: ts.CallExpression,
  ctx: InterpolationContext,
  scannedLiterals: Set<ts.Node>,
): Snippet | undefined {
  const name = calleeName(call.expression);
  const arg = call.arguments[0];
  if (!name || !QUERY_METHODS.has(name) || !arg) return undefined;
  let source = queryText(unwrap(arg));
  if (!source && ts.isIdentifier(unwrap(arg))) {
    const init = ctx.constInitializer((unwrap(arg) as ts.Identifier).text);
    source = init && queryText(unwrap(init));
  }
  if (!source) return undefined;
  scannedLiterals.add(source);
  const snippet = literalSnippet(source, ctx, call);
  return startsLikeStatement(defaultText(snippet)) ? snippet : undefined;
}

/** The SQL-carrying expression of a query argument: a string, an untagged template, or `{ text: … }`. */
function queryText(expr: ts.Expression): ts.StringLiteral | ts.TemplateLiteral | undefined {
  if (
    ts.isStringLiteral(expr) ||
    ts.isNoSubstitutionTemplateLiteral(expr) ||
    ts.isTemplateExpression(expr)
  )
    return expr;
  if (!ts.isObjectLiteralExpression(expr)) return undefined;
  for (const prop of expr.properties) {
    if (!ts.isPropertyAssignment(prop) || !ts.isIdentifier(prop.name)) continue;
    if (prop.name.text !== 'text' && prop.name.text !== 'sql') continue;
    const value = unwrap(prop.initializer);
    if (
      ts.isStringLiteral(value) ||
      ts.isNoSubstitutionTemplateLiteral(value) ||
      ts.isTemplateExpression(value)
    )
      return value;
  }
  return undefined;
}

function literalSnippet(source: LiteralSource, ctx: InterpolationContext, node: ts.Node): Snippet {
  const parts = ts.isStringLiteral(source)
    ? literalParts(source, ctx.sourceFile)
    : templateParts(source, false, ctx);
  return { parts, fileStart: source.getStart(ctx.sourceFile), mayBeFragment: false, node };
}

/** `const` declarations by name; a name declared more than once resolves to nothing. */
function collectConsts(sourceFile: ts.SourceFile): Map<string, ts.Expression | null> {
  const consts = new Map<string, ts.Expression | null>();
  const visit = (node: ts.Node): void => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      ts.isVariableDeclarationList(node.parent) &&
      (node.parent.flags & ts.NodeFlags.Const) !== 0
    ) {
      consts.set(node.name.text, consts.has(node.name.text) ? null : node.initializer);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return consts;
}

function templateParts(
  template: ts.TemplateLiteral,
  tagged: boolean,
  ctx: InterpolationContext,
): SnippetPart[] {
  const sf = ctx.sourceFile;
  if (ts.isNoSubstitutionTemplateLiteral(template)) return [piecepart(template, sf)];
  const parts: SnippetPart[] = [piecepart(template.head, sf)];
  let before = template.head.text;
  for (const span of template.templateSpans) {
    parts.push(
      tagged
        ? taggedSlot(span.expression, before, ctx)
        : untaggedSlot(span.expression, before, ctx),
    );
    parts.push(piecepart(span.literal, sf));
    // An earlier interpolation reads as a name here, so `insert into ${sql(t)} ${sql(row)}` is still an insert helper.
    before += `${SYNTHETIC_NAME_PREFIX}slot${span.literal.text}`;
  }
  return parts;
}

/** A template piece: its raw text starts right after the backtick or the `}` before it. */
function piecepart(piece: ts.TemplateLiteralLikeNode & ts.Node, sf: ts.SourceFile): SnippetPart {
  const start = piece.getStart(sf) + 1;
  const closer =
    piece.kind === ts.SyntaxKind.TemplateHead || piece.kind === ts.SyntaxKind.TemplateMiddle
      ? 2
      : 1;
  const raw = piece.rawText ?? sf.text.slice(start, piece.end - closer);
  const decoded = decodeLiteral(raw);
  return { kind: 'source', text: decoded.text, fileStart: start, offsets: decoded.offsets };
}

function literalParts(
  literal: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral,
  sf: ts.SourceFile,
): SnippetPart[] {
  if (ts.isNoSubstitutionTemplateLiteral(literal)) return [piecepart(literal, sf)];
  const start = literal.getStart(sf) + 1;
  const decoded = decodeLiteral(sf.text.slice(start, literal.end - 1));
  return [{ kind: 'source', text: decoded.text, fileStart: start, offsets: decoded.offsets }];
}
