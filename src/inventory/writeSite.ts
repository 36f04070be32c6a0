/**
 * The write site a piece of SQL belongs to, from where it sits in its file.
 *
 * In order: a function whose body starts with "use server" is a server action
 * (also inline in a page); in a file that starts with "use server", every
 * top-level function is one; otherwise the file's path decides (pathRole.ts),
 * a file with a shebang is a script, and the site's name is the top-level
 * declaration holding the SQL (the exported GET/POST of a route handler, the
 * page component, the module function).
 */
import ts from 'typescript';
import { pathRole, type SiteKind } from './pathRole.js';

export interface SiteIdentity {
  kind: SiteKind;
  name: string;
  route?: string;
  /** HTTP method(s) of the exported route handler(s) that reach the site (`GET`, `PUT, PATCH`). */
  method?: string;
  /** Set when the SQL sits in a helper of the route file: the exported handler(s) calling it, as `method`. */
  helperOf?: string;
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
export const TOP_LEVEL = '(top level)';

export function siteOf(
  file: string,
  text: string,
  sourceFile: ts.SourceFile | undefined,
  node: ts.Node | undefined,
): SiteIdentity {
  const role = pathRole(file);
  if (!sourceFile || !node) return { kind: role.kind, name: file.split('/').at(-1) ?? file };
  const topName = topLevelName(node);
  const action = enclosingServerFunction(node);
  if (action) return { kind: 'server-action', name: functionName(action, topName) };
  if (hasUseServer(sourceFile.statements)) return { kind: 'server-action', name: topName };
  if (role.kind === 'route-handler') {
    const methods = HTTP_METHODS.has(topName) ? [topName] : handlersReaching(sourceFile, topName);
    return {
      kind: 'route-handler',
      name: topName,
      route: role.route,
      ...(methods.length > 0 ? { method: methods.join(', ') } : {}),
      ...(methods.length > 0 && !HTTP_METHODS.has(topName) ? { helperOf: methods.join(', ') } : {}),
    };
  }
  if (role.kind === 'page') return { kind: 'page', name: topName, route: role.route };
  const baseName = file.split('/').at(-1) ?? file;
  if (role.kind === 'script' || text.startsWith('#!'))
    return { kind: 'script', name: topName === TOP_LEVEL ? baseName : topName };
  return { kind: role.kind, name: topName };
}

function hasUseServer(statements: ts.NodeArray<ts.Statement>): boolean {
  for (const statement of statements) {
    if (!ts.isExpressionStatement(statement) || !ts.isStringLiteral(statement.expression))
      return false;
    if (statement.expression.text === 'use server') return true;
  }
  return false;
}

function enclosingServerFunction(node: ts.Node): ts.FunctionLikeDeclaration | undefined {
  for (let at: ts.Node | undefined = node; at; at = at.parent) {
    if (
      ts.isFunctionLike(at) &&
      'body' in at &&
      at.body &&
      ts.isBlock(at.body) &&
      hasUseServer(at.body.statements)
    ) {
      return at as ts.FunctionLikeDeclaration;
    }
  }
  return undefined;
}

function functionName(fn: ts.FunctionLikeDeclaration, topName: string): string {
  if (fn.name && ts.isIdentifier(fn.name)) return fn.name.text;
  const parent = fn.parent;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  const line = fn.getSourceFile().getLineAndCharacterOfPosition(fn.getStart()).line + 1;
  return `${topName} (inline, line ${line})`;
}

/** Name of the top-level declaration that holds the node. */
export function topLevelName(node: ts.Node): string {
  let top: ts.Node = node;
  while (top.parent && !ts.isSourceFile(top.parent)) top = top.parent;
  if (ts.isFunctionDeclaration(top) || ts.isClassDeclaration(top)) {
    if (top.name) return top.name.text;
    return hasDefaultModifier(top) ? 'default' : TOP_LEVEL;
  }
  if (ts.isVariableStatement(top)) {
    // `export const POST = withAuth(async () => …)` names a function; `const rows = await sql…` is top-level code.
    const decl = top.declarationList.declarations.find(
      (d) => d.pos <= node.pos && node.end <= d.end,
    );
    return decl && ts.isIdentifier(decl.name) && insideFunction(node, decl)
      ? decl.name.text
      : TOP_LEVEL;
  }
  if (ts.isExportAssignment(top)) return 'default';
  return TOP_LEVEL;
}

function insideFunction(node: ts.Node, container: ts.Node): boolean {
  for (let at: ts.Node | undefined = node; at && at !== container; at = at.parent)
    if (ts.isFunctionLike(at)) return true;
  return false;
}

function hasDefaultModifier(node: ts.FunctionDeclaration | ts.ClassDeclaration): boolean {
  return node.modifiers?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword) ?? false;
}

/** Top-level declarations of a file by name (functions, and consts holding one). */
function topLevelDeclarations(sourceFile: ts.SourceFile): Map<string, ts.Node> {
  const declarations = new Map<string, ts.Node>();
  for (const statement of sourceFile.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name)
      declarations.set(statement.name.text, statement);
    if (ts.isVariableStatement(statement))
      for (const d of statement.declarationList.declarations)
        if (ts.isIdentifier(d.name) && d.initializer) declarations.set(d.name.text, d.initializer);
  }
  return declarations;
}

function calledNames(node: ts.Node): Set<string> {
  const names = new Set<string>();
  const visit = (at: ts.Node): void => {
    if (ts.isCallExpression(at) && ts.isIdentifier(at.expression)) names.add(at.expression.text);
    // A helper passed along (`withAuth(helper)`, `tx.begin(helper)`) is called too.
    if (ts.isCallExpression(at))
      for (const arg of at.arguments) if (ts.isIdentifier(arg)) names.add(arg.text);
    ts.forEachChild(at, visit);
  };
  visit(node);
  return names;
}

/**
 * The HTTP-method handlers of a route file that call `helper`, directly or
 * through other functions of the same file, in the file's order.
 */
function handlersReaching(sourceFile: ts.SourceFile, helper: string): string[] {
  const declarations = topLevelDeclarations(sourceFile);
  const reaches = (start: string): boolean => {
    const seen = new Set<string>([start]);
    const queue = [start];
    while (queue.length > 0) {
      const node = declarations.get(queue.shift()!);
      if (!node) continue;
      for (const name of calledNames(node)) {
        if (name === helper) return true;
        if (!seen.has(name) && declarations.has(name)) {
          seen.add(name);
          queue.push(name);
        }
      }
    }
    return false;
  };
  return [...declarations.keys()].filter((name) => HTTP_METHODS.has(name) && reaches(name));
}
