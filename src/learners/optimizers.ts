/**
 * First-order optimizers over a flat parameter vector, for the linear
 * learners. Each keeps its own state so that a saved learner resumes exactly.
 */
export type OptimizerName = 'sgd' | 'adam' | 'adagrad';
export const optimizerNames: readonly OptimizerName[] = ['sgd', 'adam', 'adagrad'];

export interface OptimizerState {
  step: number;
  first: number[];
  second: number[];
}

export class Optimizer {
  private step = 0;
  // Adam: first and second moment estimates; AdaGrad: sum of squared gradients in `second`.
  private first: Float64Array;
  private second: Float64Array;

  constructor(
    readonly kind: OptimizerName,
    readonly learningRate: number,
    size: number,
  ) {
    this.first = new Float64Array(kind === 'adam' ? size : 0);
    this.second = new Float64Array(kind === 'sgd' ? 0 : size);
  }

  /** Applies one update to `params` from `grad`, both of the same length. */
  apply(params: Float64Array, grad: Float64Array): void {
    const lr = this.learningRate;
    this.step++;
    if (this.kind === 'sgd') {
      for (let i = 0; i < params.length; i++) params[i] -= lr * grad[i];
    } else if (this.kind === 'adagrad') {
      // Duchi, Hazan & Singer (2011).
      for (let i = 0; i < params.length; i++) {
        this.second[i] += grad[i] * grad[i];
        params[i] -= (lr * grad[i]) / (Math.sqrt(this.second[i]) + 1e-8);
      }
    } else {
      // Kingma & Ba (2015), with the paper's beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8.
      const b1 = 0.9;
      const b2 = 0.999;
      const c1 = 1 - Math.pow(b1, this.step);
      const c2 = 1 - Math.pow(b2, this.step);
      for (let i = 0; i < params.length; i++) {
        this.first[i] = b1 * this.first[i] + (1 - b1) * grad[i];
        this.second[i] = b2 * this.second[i] + (1 - b2) * grad[i] * grad[i];
        params[i] -= (lr * (this.first[i] / c1)) / (Math.sqrt(this.second[i] / c2) + 1e-8);
      }
    }
  }

  /** Grows the state when parameters are appended (a new class); existing entries keep their place. */
  resize(size: number): void {
    const grow = (old: Float64Array): Float64Array => {
      if (old.length === 0) return old;
      const out = new Float64Array(size);
      out.set(old);
      return out;
    };
    this.first = grow(this.first);
    this.second = grow(this.second);
  }

  getState(): OptimizerState {
    return { step: this.step, first: Array.from(this.first), second: Array.from(this.second) };
  }

  setState(state: OptimizerState): void {
    if (state.first.length !== this.first.length || state.second.length !== this.second.length) {
      throw new Error(`optimizer ${this.kind}: saved state has the wrong size`);
    }
    this.step = state.step;
    this.first = Float64Array.from(state.first);
    this.second = Float64Array.from(state.second);
  }
}
