// GS1 rules are not OpenLMIS knowledge: they live in domain/ (the product catalogue checks GTINs too)
export { isValidGtin, normaliseGtin } from '../../../domain/gtin.js';
