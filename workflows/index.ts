/** Every procedure workflow the worker registers. */
export { unconditionalShareWorkflow } from './unconditional-share';
export { conditionalShareWorkflow } from './conditional-share';
