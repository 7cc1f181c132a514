"""The transfer objective evaluated with numpy's BLAS, for CPUs where that GEMM is faster.

An evaluation of the shallow-network objective is almost all matrix products: the
convolution (frames [T', width C] x kernel [width C, N]), its input gradient
(dA [T', N] x kernel^T) and the style loss's small float64 products (losses/terms.py).
On the 2-core AMD EPYC (AVX2) used here numpy's OpenBLAS ran those GEMMs faster than
XLA's own (docs/RESULTS.md section 1, runs 5-6: convolution 69-72 against 61-68 GFLOP/s,
float64 F F^T 34 against 23), and the whole evaluation took 1.27-1.32 s best-of against
XLA's 1.51-1.52 s (medians 1.34-1.38 against 1.55-1.59 s).
On AVX-512 CPUs the balance can turn: there XLA uses 512-bit kernels, while an OpenBLAS
held to its Haswell (AVX2) kernels, as OPENBLAS_CORETYPE=Haswell does, runs at less than
half its speed. So neither path is faster everywhere, and `backend="auto"` in
optimize.optimize times both on the optimiser's first evaluations and keeps the faster.

`BlasValueAndGrad(objective)` computes the same terms and gradient as the XLA-compiled
`objective.evaluate` with the gradient written out by hand (checked against autodiff in
tests/losses/test_blas.py):

  A_l = frames(X_l) W_l,  X_{l+1} = act(A_l),  F = X_L           (layers l = 1..L)
  content = k_c mean((F - F_c)^2),          d/dF = 2 k_c (F - F_c) / (T' N)
  style_l = k_s mean((G_l - G_s,l)^2)       (the T' x T' expansion in float64 when
                                             T' + T_s < N, else N x N in float32)
  dL/dX_l = overlap-add of (dL/dA_l) W_l^T

It covers what the published shallow presets use: a ShallowNetwork (any number of
layers, relu or tanh, no pooling), the l2 content term and the style term. Anything else
(pooling, envelope terms, the perceptual content loss, other networks) is reported by
`unsupported(objective)` and stays on XLA.
"""
import numpy as np

from neural_style_audio.networks.random_conv import ShallowNetwork


def unsupported(objective):
    """Why `objective` cannot be evaluated here (a short reason), or None if it can."""
    network = getattr(objective, "network", None)
    if not isinstance(network, ShallowNetwork):
        return f"network {type(network).__name__} is not the shallow random network"
    for layer in network.conv_layers:
        if layer.pooling != "none" and layer.pool_size > 1:
            return "pooling"
        if layer.activation_name not in ("relu", "tanh"):
            return f"activation {layer.activation_name}"
    if getattr(objective, "perceptual", None) is not None:
        return "perceptual content loss"
    extra = set(objective.terms_on) - {"content_weight", "style_weight"}
    if extra:
        return "terms " + ", ".join(sorted(extra))
    return None


def frames_matrix(x, width):
    """[T, C] -> [T - width + 1, width * C]: row t is x[t:t + width] flattened (a copy)."""
    x = np.ascontiguousarray(x)
    t, c = x.shape
    view = np.lib.stride_tricks.as_strided(x, shape=(t - width + 1, width * c),
                                           strides=(x.strides[0], x.strides[1]),
                                           writeable=False)
    return np.array(view)


def overlap_add(d_frames, width, channels):
    """Adjoint of frames_matrix: [T', width * C] -> [T' + width - 1, C]."""
    t_out = d_frames.shape[0]
    out = np.zeros((t_out + width - 1, channels), d_frames.dtype)
    for j in range(width):
        out[j:j + t_out] += d_frames[:, j * channels:(j + 1) * channels]
    return out


def evaluation_gflop(network, shape):
    """GFLOP of the convolution GEMMs (forward and input gradient) of one evaluation on
    inputs of `shape` [T, C]: 4 T' width C N per layer (the style products come on top)."""
    t, c = shape
    total = 0.0
    for layer in network.conv_layers:
        t = layer.output_frames(t)
        total += 4.0 * max(t, 0) * layer.width * c * layer.filters
        c = layer.filters
    return total / 1e9


def network_kernels(network):
    """The shallow network's kernels as GEMM operands: [width C, N] float32 per layer."""
    kernels = []
    for layer in network.conv_layers:
        w, c, n = layer.kernel.shape
        kernels.append(np.ascontiguousarray(
            np.asarray(layer.kernel, np.float32).reshape(w * c, n)))
    return kernels


class _Style:
    """One layer's style term k mean((G - G_s)^2) and its gradient, as in terms.style_loss."""

    def __init__(self, style_act, gram_energy, t_out, k):
        s = np.asarray(style_act, np.float32)
        self.t, self.t_s, self.n = t_out, s.shape[0], s.shape[1]
        self.expanded = t_out + self.t_s < self.n
        self.energy = float(gram_energy)
        self.k = k
        if self.expanded:
            self.s64 = s.astype(np.float64)
        else:
            self.gram_s = (s.T @ s) / np.float32(self.t_s)

    def __call__(self, f):
        """(term, d term / dF [T', N] float32) for activations f [T', N]."""
        t, n = self.t, self.n
        if self.expanded:
            f64 = f.astype(np.float64)
            ff = f64 @ f64.T  # [T', T'] (numpy uses a symmetric rank-k update here)
            fs = f64 @ self.s64.T  # [T', T_s]
            total = (np.sum(ff * ff) / float(t) ** 2
                     - 2.0 * np.sum(fs * fs) / (float(t) * float(self.t_s)) + self.energy)
            if total <= 0.0:  # Rounding at exact convergence; the clip in terms.py.
                return 0.0, np.zeros_like(f)
            d_f = ff @ f64 / float(t) - fs @ self.s64 / float(self.t_s)
            grad = (self.k * 4.0 / (float(t) * float(n) ** 2)) * d_f
            return self.k * total / float(n) ** 2, grad.astype(np.float32)
        diff = (f.T @ f) / np.float32(t) - self.gram_s  # [N, N]
        value = float(np.mean(np.square(diff, dtype=np.float64)))
        grad = np.float32(self.k * 4.0 / (float(t) * float(n) ** 2)) * (f @ diff)
        return self.k * value, grad


class BlasValueAndGrad:
    """x [T, C] (numpy) -> (dict of float terms with 'total', gradient [T, C] float32).

    The same terms as objective(x) (LOSS_SCALE and the weights included), computed with
    numpy. Raises ValueError if unsupported(objective) says why it cannot.
    """

    def __init__(self, objective, kernels=None):
        """kernels: network_kernels(objective.network), if already made (they are 185 MB
        at 4096 x 11 on STFT features, worth sharing between objectives)."""
        reason = unsupported(objective)
        if reason is not None:
            raise ValueError(f"BLAS objective: unsupported ({reason})")
        layers = objective.network.conv_layers
        self.widths = [layer.width for layer in layers]
        self.tanh = [layer.activation_name == "tanh" for layer in layers]
        self.kernels = kernels if kernels is not None else network_kernels(objective.network)
        targets, constants = objective.targets, objective.constants()
        self.k_content = constants["content"]
        if self.k_content is not None:
            self.f_c = np.asarray(targets["content"], np.float32)
        self.styles = None
        if constants["style"] is not None:
            self.style_spec = [(np.asarray(a, np.float32), float(e), k) for a, e, k in
                               zip(targets["style"], targets["style_gram_energy"],
                                   constants["style"])]
            self.styles = {}  # T' of the output -> [_Style per layer], built on first use.

    def _style_terms(self, t_outs):
        key = tuple(t_outs)
        if key not in self.styles:
            self.styles[key] = [_Style(a, e, t, k)
                                for (a, e, k), t in zip(self.style_spec, t_outs)]
        return self.styles[key]

    def __call__(self, x):
        x = np.asarray(x, np.float32)
        inputs, pre, acts = [], [], []
        h = x
        for kernel, width, tanh in zip(self.kernels, self.widths, self.tanh):
            inputs.append(h)
            a = frames_matrix(h, width) @ kernel  # [T', N]
            h = np.tanh(a) if tanh else np.maximum(a, np.float32(0))
            pre.append(a)
            acts.append(h)
        terms = {}
        d_acts = [None] * len(acts)
        if self.k_content is not None:
            diff = acts[-1] - self.f_c
            terms["content"] = self.k_content * float(np.mean(np.square(diff, dtype=np.float64)))
            d_acts[-1] = np.float32(2.0 * self.k_content / diff.size) * diff
        if self.styles is not None:
            total = 0.0
            for i, style in enumerate(self._style_terms([a.shape[0] for a in acts])):
                value, grad = style(acts[i])
                total += value
                d_acts[i] = grad if d_acts[i] is None else d_acts[i] + grad
            terms["style"] = total
        terms["total"] = float(sum(terms.values()))
        # Backward through the layers, last to first.
        d_h = None
        for i in reversed(range(len(acts))):
            d = d_acts[i] if d_h is None else (d_h if d_acts[i] is None else d_h + d_acts[i])
            if d is None:
                d_h = None
                continue
            if self.tanh[i]:
                d_a = d * (np.float32(1) - np.square(acts[i]))
            else:
                d_a = d * (pre[i] > 0)
            d_frames = d_a @ self.kernels[i].T  # [T', width C]
            d_h = overlap_add(d_frames, self.widths[i], inputs[i].shape[1])
        grad = np.zeros_like(x) if d_h is None else d_h
        return terms, grad
