/** Types of asl-validator@4 (it ships none): node_modules/asl-validator/src/{validator,types}.ts. */
declare module 'asl-validator' {
  namespace aslValidator {
    interface StateMachineError {
      readonly 'Error code': string;
      readonly Message: string;
      readonly schemaError?: { readonly instancePath: string; readonly schemaPath: string };
    }
    interface ValidationOptions {
      readonly checkPaths: boolean;
      readonly checkArn: boolean;
    }
    interface ValidationResult {
      readonly isValid: boolean;
      readonly errors: readonly StateMachineError[];
      readonly errorsText: (separator?: string) => string;
    }
  }
  function aslValidator(
    definition: unknown,
    options?: aslValidator.ValidationOptions,
  ): aslValidator.ValidationResult;
  export = aslValidator;
}
