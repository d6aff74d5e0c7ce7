export * from './identifiers.js';
export * from './facility.js';
export * from './product.js';
export * from './order.js';
export * from './delivery.js';
export * from './stock.js';
export * from './errors.js';
export * from './ids.js';
