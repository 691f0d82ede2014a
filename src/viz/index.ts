export * from './common.js';
export * from './saliency.js';
export * from './fooling.js';
export * from './classviz.js';
export * from './trace.js';
export * from './explorer.js';
