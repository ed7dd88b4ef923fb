/** The offline proof's AWS fakes (dev-only: never imported by src/, tasks/, cdk/ or bin/). */
export * from './recorder';
export * from './iam-actions';
export * from './sdk-intercept';
export * from './s3-fake';
export * from './athena-statement';
export * from './athena-fake';
export * from './payload-meter';
