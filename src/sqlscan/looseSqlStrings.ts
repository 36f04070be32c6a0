/**
 * SQL kept in plain strings away from any query call: a map of statements, an
 * argument to the app's own helper (`updateColumn(tx, 'UPDATE language SET …')`),
 * a constant exported for another file.
 *
 * Two levels of confidence:
 * - a `const` named like SQL (`insertStorySql`, `QUERY`, `SQL_…`, `EXISTS_SQL`)
 *   holding a string (or an object of strings) that starts like a statement is
 *   SQL: if it does not parse, that is a warning;
 * - any other string outside JSX counts only when it is shaped like a statement
 *   (`select … from`, `insert into`, `update x set`, `delete from`, …) and
 *   parses; a failure is not reported, as the string may well be prose.
 * Strings in JSX (attributes, children), import paths, type positions and
 * property keys are never looked at.
 */
import ts from 'typescript';
import { unwrap } from './interpolation.js';
import { defaultText, startsLikeStatement, stripLeadingNoise, type Snippet } from './snippet.js';

export type LiteralSource =
  ts.StringLiteral | ts.NoSubstitutionTemplateLiteral | ts.TemplateExpression;

const SQL_CONST_NAME = /(^(sql|query)|(sql|query)$|_sql_|_query_)/i;
const SQL_SHAPED = new RegExp(
  '^(' +
    [
      'select\\b[\\s\\S]*\\bfrom\\b',
      'insert\\s+into\\b',
      'update\\s+("[^"]+"|[\\w.]+)\\s+set\\b',
      'delete\\s+from\\b',
      'with\\s+(recursive\\s+)?("[^"]+"|\\w+)\\s*(\\([^)]*\\)\\s*)?as\\s*(not\\s+)?(materialized\\s*)?\\(',
      'truncate\\b',
      'copy\\s+\\S+[\\s\\S]*\\b(from|to)\\b',
      'create\\s+(or\\s+replace\\s+)?(temp\\w*\\s+|unlogged\\s+)?(table|view|index|unique\\s+index|materialized\\s+view|trigger)\\b',
      'alter\\s+table\\b',
      'drop\\s+(table|view)\\b',
      'merge\\s+into\\b',
    ].join('|') +
    ')',
  'i',
);

export function looseSqlStrings(
  sourceFile: ts.SourceFile,
  makeSnippet: (source: LiteralSource, node: ts.Node) => Snippet,
  alreadyScanned: ReadonlySet<ts.Node>,
): Snippet[] {
  const snippets: Snippet[] = [];
  const visit = (node: ts.Node): void => {
    if (
      isJsx(node) ||
      ts.isImportDeclaration(node) ||
      ts.isExportDeclaration(node) ||
      ts.isTypeNode(node)
    )
      return;
    if (isLiteralSource(node) && !alreadyScanned.has(node) && !isPropertyKey(node)) {
      const snippet = makeSnippet(node, node);
      const text = defaultText(snippet);
      if (inSqlNamedConst(node) && startsLikeStatement(text)) snippets.push(snippet);
      else if (SQL_SHAPED.test(stripLeadingNoise(text))) snippets.push({ ...snippet, quiet: true });
    }
    if (ts.isTaggedTemplateExpression(node)) return;
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return snippets;
}

function isLiteralSource(node: ts.Node): node is LiteralSource {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
    return !ts.isTaggedTemplateExpression(node.parent);
  return ts.isTemplateExpression(node) && !ts.isTaggedTemplateExpression(node.parent);
}

function isJsx(node: ts.Node): boolean {
  return (
    ts.isJsxElement(node) ||
    ts.isJsxSelfClosingElement(node) ||
    ts.isJsxFragment(node) ||
    ts.isJsxAttribute(node)
  );
}

function isPropertyKey(node: ts.Node): boolean {
  const parent = node.parent;
  return (
    (ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name === node
  );
}

/** The literal is a `const` named like SQL, or a value in an object literal held by one. */
function inSqlNamedConst(node: ts.Node): boolean {
  let at: ts.Node = node;
  while (
    ts.isPropertyAssignment(at.parent) ||
    ts.isObjectLiteralExpression(at.parent) ||
    isWrapper(at.parent)
  )
    at = at.parent;
  const decl = at.parent;
  return (
    ts.isVariableDeclaration(decl) &&
    ts.isIdentifier(decl.name) &&
    SQL_CONST_NAME.test(decl.name.text) &&
    !!decl.initializer &&
    unwrap(decl.initializer) !== undefined
  );
}

function isWrapper(node: ts.Node): boolean {
  return (
    ts.isAsExpression(node) || ts.isSatisfiesExpression(node) || ts.isParenthesizedExpression(node)
  );
}
