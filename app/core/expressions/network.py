"""MediaPipe's blendshape network in numpy, for the device (no LiteRT there).

The network (face_blendshapes.tflite, MediaPipe's Face Landmarker, Apache-2.0) is an
MLP-Mixer; its layers, as its graph names them (under GhumMarkerPoserMlpMixerGeneral/):

  input normalisation         points minus their mean (tf.math.subtract), divided by their
                              mean distance to it (tf.compat.v1.norm, tf.math.truediv_1),
                              times tf.math.truediv/y (0.5)
  conv2d                      1x1 conv mixing the 146 points into 96 tokens, per x and y
  MLPMixer/input_tokens_embedding   each token's (x, y) -> 64 channels
  MLPMixer/AddExtraTokens     a learnt token put first: 97 tokens x 64 channels
  MLPMixer/MixerBlock_0..3    layer_norm1 -> mlp_token_mixing (Mlp_1 97->384, ReLU;
                              Mlp_2 384->97) -> residual_tokens; layer_norm2 ->
                              mlp_channel_mixing (Mlp_1 64->256, ReLU; Mlp_2 256->64)
                              -> residual_channels. The layer norms have a scale
                              (batchnorm/mul) and no offset; epsilon batchnorm/add/y.
  output_blendweights         the extra token's 64 channels -> 52, Sigmoid

Weights: face_blendshapes.npz beside this file, the model's own float16 tensors under
their graph names and shapes, written by tools/make_blendshape_weights.py. Here they
become float32 matrices once, arranged so that each evaluation is a few large numpy
calls (on the device's in-order core every numpy call costs, as every multiply-add does):

- the token MLPs run as W @ x on the (97, 64) token-by-channel array, so no transposes;
- the points' centring and scale stay explicit (the scale is data); conv2d,
  input_tokens_embedding and AddExtraTokens become one (97, 146) matrix, one (2, 64)
  matrix and one (97, 64) offset (row 0 the extra token, the biases folded through the
  embedding);
- layer_norm2's scale is folded into mlp_channel_mixing/Mlp_1's weights (exact: the scale
  is per channel, the axis that matmul contracts); layer_norm1's is not (per channel, the
  axis the token MLP does not contract, with a ReLU before anything could absorb it);
- each Mlp_2's bias is one more column of its weights, fed by a constant-1 unit that
  Mlp_1 gains (zero weights, bias 1, unchanged by the ReLU);
- only the extra token reaches output_blendweights, so MixerBlock_3 computes its token
  mixing's Mlp_2 and its channel mixing for that token alone (about 17% of the work);
- output_blendweights' weights and bias are negated so the sigmoid is 1 / (1 + exp(z)).

float32 throughout, as LiteRT's kernels; equal to LiteRT within 1e-3 on every real face in
the tests (tests/pc/test_blendshape_network.py, layer by layer too).
Input: the 146 subset landmarks (tables.BLENDSHAPE_INPUT_POINTS) in image pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

WEIGHTS = Path(__file__).with_name("face_blendshapes.npz")

POINTS = 146
TOKENS = 97  # the extra token + conv2d's 96
CHANNELS = 64
BLOCKS = 4

_MEAN_POINTS = np.full(POINTS, 1.0 / POINTS, np.float32)
_ONES_XY = np.ones(2, np.float32)
_MEAN_CHANNELS = np.full((CHANNELS, 1), 1.0 / CHANNELS, np.float32)


def _block(i: int) -> str:
    return f"MLPMixer/MixerBlock_{i}/"


def _matrix(kernel: np.ndarray) -> np.ndarray:
    """A 1x1 Conv2D kernel (out, 1, 1, in) as an (out, in) matrix."""
    return kernel.reshape(kernel.shape[0], kernel.shape[-1])


def _with_unit(weights: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(out, in) weights and bias plus one output unit with zero weights and bias 1."""
    return (np.vstack([weights, np.zeros((1, weights.shape[1]))]),
            np.concatenate([bias, [1.0]]))


class _Block:
    """One MixerBlock's float32 matrices, arranged for the evaluation (see the module doc)."""

    def __init__(self, w: dict[str, np.ndarray], i: int) -> None:
        b = _block(i)
        self.layer_norm1 = w[b + "layer_norm1/batchnorm/mul"].astype(np.float32)
        tok1, tok1_bias = _with_unit(_matrix(w[b + "mlp_token_mixing/Mlp_1/Conv2D"]),
                                     w[b + "mlp_token_mixing/Mlp_1/BiasAdd"])
        self.token_mlp_1 = tok1.astype(np.float32)                     # (385, 97)
        # the bias as a full (385, 64) array: a plain add, no broadcasting per call
        self.token_mlp_1_bias = np.ascontiguousarray(
            np.broadcast_to(tok1_bias[:, None], (len(tok1_bias), CHANNELS)), np.float32)
        self.token_mlp_2 = np.hstack([_matrix(w[b + "mlp_token_mixing/Mlp_2/Conv2D"]),
                                      w[b + "mlp_token_mixing/Mlp_2/BiasAdd"][:, None]]
                                     ).astype(np.float32)              # (97, 385)
        scale = w[b + "layer_norm2/batchnorm/mul"]
        ch1, ch1_bias = _with_unit(_matrix(w[b + "mlp_channel_mixing/Mlp_1/Conv2D"]) * scale,
                                   w[b + "mlp_channel_mixing/Mlp_1/BiasAdd"])
        self.channel_mlp_1 = np.ascontiguousarray(ch1.T, np.float32)  # (64, 257)
        self.channel_mlp_1_bias = ch1_bias.astype(np.float32)          # (257,)
        self.channel_mlp_2 = np.vstack([_matrix(w[b + "mlp_channel_mixing/Mlp_2/Conv2D"]).T,
                                        w[b + "mlp_channel_mixing/Mlp_2/BiasAdd"][None]]
                                       ).astype(np.float32)            # (257, 64)


class BlendshapeNetwork:
    """landmarks (146, 2) float pixels -> 52 blendshape scores in 0..1 (float32)."""

    def __init__(self, path: str | Path = WEIGHTS) -> None:
        with np.load(path) as data:
            w = {k: data[k].astype(np.float64) for k in data.files}
        conv = _matrix(w["conv2d/Conv2D"])                                   # (96, 146)
        embed = _matrix(w["MLPMixer/input_tokens_embedding/Conv2D"])         # (64, 2)
        # conv2d's bias goes through the embedding: (conv @ n + b) @ E.T = conv @ n @ E.T + b E.T
        tokens_bias = (w["conv2d/BiasAdd"][:, None] * embed.sum(axis=1)[None]
                       + w["MLPMixer/input_tokens_embedding/BiasAdd"][None])
        self._points_to_tokens = np.vstack([np.zeros((1, POINTS)), conv]).astype(np.float32)
        self._embedding = (embed.T * w["tf.math.truediv/truediv/y"]).astype(np.float32)
        self._tokens_offset = np.vstack([w["MLPMixer/AddExtraTokens/strided_slice_1"].reshape(1, -1),
                                         tokens_bias]).astype(np.float32)   # (97, 64)
        self._epsilon = np.float32(w[_block(0) + "layer_norm1/batchnorm/add/y"])
        self._blocks = [_Block(w, i) for i in range(BLOCKS)]
        self._last_token_mlp_2 = self._blocks[-1].token_mlp_2[0].copy()      # (385,)
        self._output = np.ascontiguousarray(-_matrix(w["output_blendweights/Conv2D"]).T, np.float32)
        self._output_bias = (-w["output_blendweights/BiasAdd"]).astype(np.float32)
        # multiply-adds per evaluation, as computed here (the model's own: about 31.8M)
        blk = self._blocks[-1]
        full = sum(m.size * CHANNELS for m in (blk.token_mlp_1, blk.token_mlp_2))
        full += sum(m.size * TOKENS for m in (blk.channel_mlp_1, blk.channel_mlp_2))
        last = blk.token_mlp_1.size * CHANNELS + self._last_token_mlp_2.size * CHANNELS
        last += blk.channel_mlp_1.size + blk.channel_mlp_2.size
        self.multiply_adds = ((BLOCKS - 1) * full + last + self._points_to_tokens.size * 2
                              + self._embedding.size * TOKENS + self._output.size)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        return self.evaluate(points)

    def evaluate(self, points: np.ndarray, taps: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """The 52 scores; `taps`, when given, receives the graph's intermediate tensors by
        name ((97, 64) arrays; MixerBlock_3's as its extra token's (64,) row)."""
        p = np.asarray(points, np.float32).reshape(POINTS, 2)
        # input normalisation
        centred = p - _MEAN_POINTS @ p
        spread = _MEAN_POINTS @ np.sqrt(np.square(centred) @ _ONES_XY)
        # conv2d, input_tokens_embedding, AddExtraTokens
        x = (self._points_to_tokens @ centred) / spread @ self._embedding + self._tokens_offset
        if taps is not None:
            taps["MLPMixer/AddExtraTokens/concat"] = x
        eps = self._epsilon
        last = BLOCKS - 1
        for i, blk in enumerate(self._blocks):
            # layer_norm1, mlp_token_mixing (on the transposed tokens), residual_tokens
            c = x - x @ _MEAN_CHANNELS
            norm = (np.square(c) @ _MEAN_CHANNELS + eps) ** -0.5
            h = blk.token_mlp_1 @ (c * (norm * blk.layer_norm1)) + blk.token_mlp_1_bias
            np.maximum(h, 0.0, out=h)
            x = x + blk.token_mlp_2 @ h if i < last else x[0] + self._last_token_mlp_2 @ h
            if taps is not None:
                taps[_block(i) + "residual_tokens/add"] = x
            # layer_norm2 (scale in Mlp_1), mlp_channel_mixing, residual_channels
            c = x - x @ _MEAN_CHANNELS
            norm = (np.square(c) @ _MEAN_CHANNELS + eps) ** -0.5
            h = (c * norm) @ blk.channel_mlp_1 + blk.channel_mlp_1_bias
            np.maximum(h, 0.0, out=h)
            x = x + h @ blk.channel_mlp_2
            if taps is not None:
                taps[_block(i) + "residual_channels/add"] = x
        # output_blendweights (negated) and its Sigmoid
        z = x @ self._output + self._output_bias
        if taps is not None:
            taps["output_blendweights/BiasAdd"] = -z
        return 1.0 / (1.0 + np.exp(z))
