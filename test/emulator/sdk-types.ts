/**
 * The `openai` package's own type declarations, read with the TypeScript parser, as a contract:
 * `missingKeys(value, 'Response')` walks a reply alongside the SDK's interface and lists every
 * property the type requires (not marked `?`) that the reply leaves out, down through nested
 * objects, arrays and discriminated unions (picked by the value's `type`). Types the reply's
 * value cannot be matched to (a union without a discriminator, a type from outside the read files)
 * are not walked into.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

interface Declared {
  node: ts.InterfaceDeclaration | ts.TypeAliasDeclaration;
  /** The namespace it is declared in, for resolving the unqualified names it uses. */
  scope: string;
}

const sdkRoot = path.dirname(createRequire(import.meta.url).resolve('openai'));

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class SdkTypes {
  readonly #declared = new Map<string, Declared>();

  /** `files`: declaration files relative to the package (`resources/responses/responses.d.ts`). */
  constructor(files: readonly string[]) {
    for (const file of files) {
      const source = ts.createSourceFile(
        file,
        readFileSync(path.join(sdkRoot, file), 'utf8'),
        ts.ScriptTarget.Latest,
        true,
      );
      this.#collect(source.statements, '');
    }
  }

  #collect(statements: ts.NodeArray<ts.Statement>, scope: string): void {
    for (const s of statements) {
      const qualified = (name: string) => (scope ? `${scope}.${name}` : name);
      if (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s))
        this.#declared.set(qualified(s.name.text), { node: s, scope });
      else if (ts.isModuleDeclaration(s) && s.body && ts.isModuleBlock(s.body))
        this.#collect(s.body.statements, qualified(s.name.text));
    }
  }

  has(name: string): boolean {
    return this.#declared.has(name);
  }

  /** The paths (`$.usage.input_tokens_details.cache_write_tokens`) of required keys `value` lacks. */
  missingKeys(value: unknown, typeName: string, except: readonly string[] = []): string[] {
    const found = this.#resolve(typeName, '');
    if (!found) throw new Error(`the SDK declares no type ${typeName}`);
    const missing: string[] = [];
    this.#walkDeclared(value, found, '$', missing, new Set(except));
    return missing;
  }

  #resolve(name: string, scope: string): Declared | undefined {
    const parts = name.split('.');
    return (
      (scope ? this.#declared.get(`${scope}.${name}`) : undefined) ??
      this.#declared.get(name) ??
      // `CompletionsAPI.CompletionUsage`: an import alias in front of a name declared elsewhere.
      (parts.length > 1 ? this.#declared.get(parts.slice(1).join('.')) : undefined)
    );
  }

  #walkDeclared(value: unknown, d: Declared, at: string, missing: string[], except: Set<string>): void {
    if (ts.isTypeAliasDeclaration(d.node)) return this.#walkType(value, d.node.type, d.scope, at, missing, except);
    this.#walkMembers(value, this.#members(d), d.scope, at, missing, except);
  }

  /** An interface's properties with those of the interfaces it extends. */
  #members(d: Declared): ts.TypeElement[] {
    const node = d.node as ts.InterfaceDeclaration;
    const inherited = (node.heritageClauses ?? []).flatMap((h) =>
      h.types.flatMap((t) => {
        const parent = this.#resolve(t.expression.getText(node.getSourceFile()), d.scope);
        return parent && ts.isInterfaceDeclaration(parent.node) ? this.#members(parent) : [];
      }),
    );
    return [...inherited, ...node.members];
  }

  #walkMembers(
    value: unknown,
    members: readonly ts.TypeElement[],
    scope: string,
    at: string,
    missing: string[],
    except: Set<string>,
  ): void {
    if (!isRecord(value)) return;
    for (const m of members) {
      if (!ts.isPropertySignature(m) || !m.type) continue;
      const name = m.name.getText(m.getSourceFile()).replace(/^['"]|['"]$/g, '');
      const here = `${at}.${name}`;
      if (except.has(here)) continue;
      if (!(name in value)) {
        if (!m.questionToken) missing.push(here);
        continue;
      }
      this.#walkType(value[name], m.type, scope, here, missing, except);
    }
  }

  #walkType(
    value: unknown,
    type: ts.TypeNode,
    scope: string,
    at: string,
    missing: string[],
    except: Set<string>,
  ): void {
    if (value === null || value === undefined) return;
    if (ts.isParenthesizedTypeNode(type)) return this.#walkType(value, type.type, scope, at, missing, except);
    if (ts.isTypeLiteralNode(type)) return this.#walkMembers(value, type.members, scope, at, missing, except);
    if (ts.isArrayTypeNode(type)) return this.#walkItems(value, type.elementType, scope, at, missing, except);
    if (ts.isUnionTypeNode(type)) {
      const chosen = this.#member(value, type.types, scope);
      if (chosen) this.#walkType(value, chosen, scope, at, missing, except);
      return;
    }
    if (!ts.isTypeReferenceNode(type)) return;
    const name = type.typeName.getText(type.getSourceFile());
    const arg = type.typeArguments?.[0];
    if (name === 'Array' && arg) return this.#walkItems(value, arg, scope, at, missing, except);
    const declared = this.#resolve(name, scope);
    if (declared) this.#walkDeclared(value, declared, at, missing, except);
  }

  #walkItems(value: unknown, item: ts.TypeNode, scope: string, at: string, missing: string[], except: Set<string>) {
    if (!Array.isArray(value)) return;
    value.forEach((v, i) => this.#walkType(v, item, scope, `${at}[${i}]`, missing, except));
  }

  /** The member of a union that `value` is: the one whose `type` literal is the value's `type`, or the only object type. */
  #member(value: unknown, members: readonly ts.TypeNode[], scope: string): ts.TypeNode | undefined {
    if (!isRecord(value)) return undefined;
    const objects = members.filter((t) => {
      if (ts.isTypeLiteralNode(t)) return true;
      const d = ts.isTypeReferenceNode(t) ? this.#resolve(t.typeName.getText(t.getSourceFile()), scope) : undefined;
      return d !== undefined && ts.isInterfaceDeclaration(d.node);
    });
    const tagged = objects.filter((t) => this.#typeTag(t, scope) === value.type);
    if (tagged.length === 1) return tagged[0];
    // Without a tag, only a union of one object type and scalars (`X | null`) says which it is.
    const scalars = members.filter((t) => !ts.isTypeReferenceNode(t) && !ts.isTypeLiteralNode(t));
    return objects.length === 1 && objects.length + scalars.length === members.length ? objects[0] : undefined;
  }

  /** The string literal an object type's `type` property is declared as, if it is one. */
  #typeTag(t: ts.TypeNode, scope: string): string | undefined {
    const members = ts.isTypeLiteralNode(t)
      ? t.members
      : ts.isTypeReferenceNode(t)
        ? (this.#resolve(t.typeName.getText(t.getSourceFile()), scope)?.node as ts.InterfaceDeclaration).members
        : [];
    const prop = members.find((m) => ts.isPropertySignature(m) && m.name.getText(m.getSourceFile()) === 'type');
    const literal = prop && ts.isPropertySignature(prop) ? prop.type : undefined;
    return literal && ts.isLiteralTypeNode(literal) && ts.isStringLiteral(literal.literal)
      ? literal.literal.text
      : undefined;
  }
}
