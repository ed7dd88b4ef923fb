import aslValidator from 'asl-validator';

export interface AslValidation {
  readonly isValid: boolean;
  readonly errors: readonly string[];
}

/**
 * Validates a state machine definition with asl-validator@4 (JSON schema of the Amazon States Language,
 * transition targets, terminal states, JSONPath syntax and Resource ARNs). It fills in QueryLanguage on
 * the object it is given, so it validates a copy.
 * Amazon States Language: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-amazon-states-language.html
 */
export function validateAsl(definition: unknown): AslValidation {
  const result = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
  return {
    isValid: result.isValid,
    errors: result.errors.map((e) => `${e['Error code']}: ${e.Message}`),
  };
}

/** Every `Resource` of a Task state, with the state's path, through Map item processors and Parallel branches. */
export function taskResources(definition: unknown, path = ''): { state: string; resource: unknown }[] {
  const out: { state: string; resource: unknown }[] = [];
  const states = (definition as { States?: Record<string, Record<string, unknown>> }).States ?? {};
  for (const [name, state] of Object.entries(states)) {
    const at = path === '' ? name : `${path}/${name}`;
    if (state.Type === 'Task') out.push({ state: at, resource: state.Resource });
    for (const key of ['ItemProcessor', 'Iterator'])
      if (state[key] !== undefined) out.push(...taskResources(state[key], at));
    if (Array.isArray(state.Branches))
      state.Branches.forEach((branch: unknown, i) => out.push(...taskResources(branch, `${at}[${i}]`)));
  }
  return out;
}
