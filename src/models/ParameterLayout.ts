/**
 * What a tensor is for, as far as LARS cares:
 * - `'weight'`: a weight matrix or kernel, adapted by the trust ratio;
 * - `'bias'`: a bias vector, excluded from LARS when `excludeBiasFromLARS` is on;
 * - `'norm'`: a normalization gain or shift (BatchNorm, LayerNorm), excluded likewise.
 *
 * @category Models
 */
export type ParameterKind = 'weight' | 'bias' | 'norm';

/**
 * One tensor in a model's flat parameter vector.
 *
 * @category Models
 */
export interface ParameterTensor {
  /** A readable name, e.g. `dense1.weight`. */
  readonly name: string;
  /** Number of elements. */
  readonly size: number;
  /** What the tensor is for; decides bias/norm exclusion. */
  readonly kind: ParameterKind;
}

/**
 * The tensors of a flat parameter vector, in storage order; their sizes add up to the vector's length.
 *
 * @category Models
 */
export type ParameterLayout = readonly ParameterTensor[];
