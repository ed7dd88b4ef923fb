import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASL_FILE, SETTING_PLACEHOLDERS, STATE_BINDINGS } from '../../src/workflow/registry';
import {
  lambdaFunctions,
  renderStateMachine,
  substitute,
  synthesizeForVerify,
  taskResources,
  validateAsl,
  REPO_ROOT,
  type CfnTemplate,
  type RenderedStateMachine,
  type VerifySynthesis,
} from '../../verify/template';

let synth: VerifySynthesis;
let rendered: RenderedStateMachine;

beforeAll(() => {
  synth = synthesizeForVerify('dev');
  rendered = renderStateMachine(synth.template, synth.assetDir, { env: { stackName: synth.stackName } });
});

/** Task Resources that are neither a Lambda function ARN of the template nor a Step Functions integration. */
function strayTaskResources(definition: unknown): { state: string; resource: unknown }[] {
  const lambdaArns = new Set(
    lambdaFunctions(synth.template, { stackName: synth.stackName }).map((f) => f.arn),
  );
  return taskResources(definition).filter(
    ({ resource }) =>
      typeof resource !== 'string' || !(lambdaArns.has(resource) || resource.startsWith('arn:aws:states:::')),
  );
}

/** Every string value in a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(strings);
  return [];
}

/** The template with the state machine's DefinitionSubstitutions changed by `edit`. */
function withSubstitutions(edit: (subs: Record<string, unknown>) => void): CfnTemplate {
  const template = structuredClone(synth.template) as unknown as {
    Resources: Record<string, { Properties: { DefinitionSubstitutions: Record<string, unknown> } }>;
  };
  const stateMachine = template.Resources[rendered.logicalId];
  if (stateMachine === undefined) throw new Error('no state machine');
  edit(stateMachine.Properties.DefinitionSubstitutions);
  return template as unknown as CfnTemplate;
}

describe('the rendered state machine definition', () => {
  test('comes from the definition asset of the cloud assembly: the ASL file, byte for byte before substitution', () => {
    const source = readFileSync(join(REPO_ROOT, ASL_FILE), 'utf8');
    expect(rendered.sourceFile?.startsWith(synth.assetDir)).toBe(true);
    expect(readFileSync(rendered.sourceFile ?? '', 'utf8')).toBe(source);
    const placeholders = new Set([...source.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...placeholders].sort()).toEqual(Object.keys(rendered.substitutions).sort());
    expect(rendered.definitionText).not.toBe(source);
    expect(rendered.definitionText).not.toMatch(/\$\{\w+\}/);
  });

  test('passes asl-validator', () => {
    const result = validateAsl(rendered.definition);
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  test('asl-validator rejects a definition with a transition to a missing state (the check can fail)', () => {
    const broken = structuredClone(rendered.definition) as {
      StartAt: string;
      States: Record<string, unknown>;
    };
    broken.StartAt = 'NoSuchState';
    const result = validateAsl(broken);
    expect(result.isValid).toBe(false);
    expect(result.errors.join('\n')).toMatch(/NoSuchState/);
  });

  test('every Task Resource is a Lambda function ARN of the template or an arn:aws:states::: integration', () => {
    expect(taskResources(rendered.definition).length).toBeGreaterThan(0);
    expect(strayTaskResources(rendered.definition)).toEqual([]);
  });

  test('a Task Resource naming a function outside the template is reported (the check can fail)', () => {
    const broken = structuredClone(rendered.definition) as {
      States: Record<string, Record<string, unknown>>;
    };
    const first = Object.values(broken.States).find((s) => s.Type === 'Task');
    if (first === undefined) throw new Error('no Task state');
    first.Resource = 'arn:aws:lambda:us-east-1:123456789012:function:not-in-the-template';
    expect(strayTaskResources(broken)).toEqual([
      expect.objectContaining({
        resource: 'arn:aws:lambda:us-east-1:123456789012:function:not-in-the-template',
      }),
    ]);
  });

  test('each lambda state runs the function of its registry task', () => {
    const byTask = new Map(
      lambdaFunctions(synth.template, { stackName: synth.stackName }).map((f) => [f.task, f.arn]),
    );
    const resources = new Map(
      taskResources(rendered.definition).map(({ state, resource }) => [state.split('/').pop(), resource]),
    );
    for (const [state, binding] of Object.entries(STATE_BINDINGS)) {
      if (binding.kind !== 'lambda') continue;
      expect([state, resources.get(state)]).toEqual([state, byTask.get(binding.task)]);
    }
  });

  test('settings are substituted with the Glue database and Athena workgroup names', () => {
    expect(SETTING_PLACEHOLDERS).toEqual(expect.arrayContaining(['GlueDatabase', 'AthenaWorkGroup']));
    expect(rendered.substitutions.GlueDatabase).toBe('eventlake_dev');
    expect(rendered.substitutions.AthenaWorkGroup).toBe('eventlake-dev');
    expect(rendered.definitionText).toContain('"Database": "eventlake_dev"');
    expect(rendered.definitionText).toContain('"WorkGroup": "eventlake-dev"');
  });

  test('Athena SQL substituted into JSON strings parses back to the SQL (double quotes escaped)', () => {
    const merge = strings(rendered.definition).filter((s) =>
      s.includes('MERGE INTO "eventlake_dev"."events_all_batches"'),
    );
    expect(merge).toHaveLength(1);
    expect(merge[0]).toContain('FROM "eventlake_dev"."classified"');
  });

  test('the state machine role and ARN are resolved', () => {
    expect(rendered.stateMachineArn).toBe(
      'arn:aws:states:us-east-1:123456789012:stateMachine:eventlake-dev-microbatch',
    );
    expect(rendered.roleArn).toMatch(
      /^arn:aws:iam::123456789012:role\/eventlake-dev-OrchestrationStateMachineRole/,
    );
    expect(synth.template.Resources[rendered.roleLogicalId]?.Type).toBe('AWS::IAM::Role');
  });

  test('a placeholder without a substitution fails the render', () => {
    const template = withSubstitutions((subs) => delete subs.GlueDatabase);
    expect(() => renderStateMachine(template, synth.assetDir)).toThrow(
      /placeholders without a substitution: \$\{GlueDatabase\}/,
    );
  });

  test('a substitution the definition never uses fails the render', () => {
    const template = withSubstitutions((subs) => (subs.NotInTheDefinition = 'x'));
    expect(() => renderStateMachine(template, synth.assetDir)).toThrow(
      /substitutions never used: NotInTheDefinition/,
    );
  });

  test('substitution is one pass of plain text: a value containing ${...} is not substituted again', () => {
    expect(substitute('{"a": "${A}", "b": "${B}"}', { A: '${B}', B: 'b' }, 'test')).toBe(
      '{"a": "${B}", "b": "b"}',
    );
  });
});
