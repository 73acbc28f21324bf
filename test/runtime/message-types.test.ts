// The daemon's public contract in two forms that must agree: the TypeScript types of src/runtime/messages.ts (read
// with the TypeScript compiler) and schemas/*.v1.schema.json; and the engine and task vocabularies of every schema
// (config, command, result) are the registries'.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ENGINE_CHOICES, ENGINE_KINDS } from '../../src/delegates/index.js';
import { configSchema } from '../../src/runtime/config-schema.js';
import { commandSchema } from '../../src/runtime/model-command.js';
import { SOURCE_TYPES } from '../../src/sensors/index.js';
import { TASK_NAMES } from '../../src/tasks/task-registry.js';
import { repoRoot } from '../helpers/paths.js';

interface JsonSchema {
  required?: string[];
  properties?: Record<string, JsonSchema & { enum?: unknown[] }>;
}

const schema = (name: string): JsonSchema => JSON.parse(readFileSync(path.join(repoRoot, 'schemas', `${name}.v1.schema.json`), 'utf8')) as JsonSchema;

const source = ts.createSourceFile('messages.ts', readFileSync(path.join(repoRoot, 'src/runtime/messages.ts'), 'utf8'), ts.ScriptTarget.ES2022, true);

/** An interface's members (or an inline type literal's): name → optional, and the type node. */
function members(node: ts.InterfaceDeclaration | ts.TypeLiteralNode): Map<string, { optional: boolean; type: ts.TypeNode | undefined }> {
  const out = new Map<string, { optional: boolean; type: ts.TypeNode | undefined }>();
  for (const m of node.members) {
    if (ts.isPropertySignature(m) && m.name && ts.isIdentifier(m.name)) out.set(m.name.text, { optional: !!m.questionToken, type: m.type });
  }
  return out;
}

function declared(name: string): ts.InterfaceDeclaration {
  const found = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
  if (!found) throw new Error(`messages.ts has no interface ${name}`);
  return found;
}

/** The type behind a member: an inline literal, or an interface of messages.ts named by reference. */
function resolve(type: ts.TypeNode | undefined): ts.InterfaceDeclaration | ts.TypeLiteralNode | undefined {
  if (!type) return undefined;
  if (ts.isTypeLiteralNode(type)) return type;
  if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)) {
    return source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === (type.typeName as ts.Identifier).text);
  }
  return undefined;
}

/** Same property names, and optional exactly where the schema does not require; nested objects too. */
function expectAgree(node: ts.InterfaceDeclaration | ts.TypeLiteralNode, s: JsonSchema, where: string): void {
  const m = members(node);
  expect([...m.keys()].sort(), `${where}: properties`).toEqual(Object.keys(s.properties ?? {}).sort());
  const required = [...m].filter(([, v]) => !v.optional).map(([k]) => k).sort();
  expect(required, `${where}: required`).toEqual([...(s.required ?? [])].sort());
  for (const [key, { type }] of m) {
    const sub = s.properties?.[key];
    const inner = resolve(type);
    if (inner && sub?.properties && key !== 'result') expectAgree(inner, sub, `${where}.${key}`);
  }
}

describe('message types and schemas', () => {
  it.each([
    ['ResultMessage', 'result'],
    ['ObjectEventMessage', 'event'],
    ['KeywordEventMessage', 'keyword-event'],
  ])('%s matches schemas/%s.v1.schema.json field by field', (type, name) => {
    expectAgree(declared(type), schema(name), type);
  });

  it('would notice a field the schema lacks', () => {
    const withExtra = ts.createSourceFile('x.ts', 'interface X { v: 1; extra: string }', ts.ScriptTarget.ES2022, true).statements[0] as ts.InterfaceDeclaration;
    expect(() => expectAgree(withExtra, { required: ['v'], properties: { v: {} } }, 'X')).toThrow(/properties/);
  });
});

describe('one vocabulary, from the registries', () => {
  const pipeline = (configSchema.properties.pipelines as unknown as { items: { properties: Record<string, { properties: Record<string, { enum?: readonly string[]; properties?: Record<string, { enum?: readonly string[] }> }> }> } }).items.properties;

  it('the result schema names every engine kind and task, and no other', () => {
    const result = schema('result').properties!;
    expect([...(result.engine!.enum as string[])].sort()).toEqual([...ENGINE_KINDS].sort());
    expect([...(result.task!.enum as string[])].sort()).toEqual([...TASK_NAMES].sort());
  });

  it('the config schema takes its engine choices, tasks and source types from the registries', () => {
    expect(pipeline.model!.properties.engine!.enum).toEqual(ENGINE_CHOICES);
    expect(pipeline.task!.properties.type!.enum).toEqual(['auto', ...TASK_NAMES]);
    expect(pipeline.source!.properties.type!.enum).toEqual(SOURCE_TYPES);
  });

  it('the model command schema accepts every engine choice (onnx included)', () => {
    expect(commandSchema.properties.engine.enum).toEqual(ENGINE_CHOICES);
    expect(ENGINE_CHOICES).toContain('onnx');
  });
});
