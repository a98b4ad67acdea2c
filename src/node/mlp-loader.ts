import { setMlpLoader } from '../learners/mlp-slot.js';

// In Node, `mlp` works without importing streamlearn/mlp by hand: it is imported on first use.
setMlpLoader(async () => {
  await import('../mlp/index.js');
});
