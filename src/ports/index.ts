export * from './clock';
export * from './object-store';
export * from './orchestrator';
export * from './sql-engine';
export * from './state-store';
