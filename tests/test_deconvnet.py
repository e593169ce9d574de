"""The deconvnet against an independent NumPy reference and the properties the paper implies."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from experiments.deconvnet import backproject, conv_stack, forward, project, strongest


def small_net(seed=0, bias=0.0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((12, 12, 2))
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="c1",
                      bias_initializer=keras.initializers.Constant(bias))(inputs)
    x = layers.MaxPooling2D(2, name="p1")(x)
    x = layers.Conv2D(5, 5, padding="same", activation="relu", name="c2",
                      bias_initializer=keras.initializers.Constant(bias))(x)
    x = layers.MaxPooling2D(2, name="p2")(x)
    x = layers.Flatten()(x)
    return keras.Model(inputs, layers.Dense(3)(x))


# ---------------------------------------------------------------- an independent reference, in loops

def ref_pool(x):
    n, h, w, c = x.shape
    out = np.zeros((n, h // 2, w // 2, c))
    where = {}
    for b in range(n):
        for i in range(h // 2):
            for j in range(w // 2):
                for ch in range(c):
                    window = x[b, 2 * i:2 * i + 2, 2 * j:2 * j + 2, ch]
                    r, s = np.unravel_index(np.argmax(window), (2, 2))
                    out[b, i, j, ch] = window[r, s]
                    where[(b, i, j, ch)] = (2 * i + r, 2 * j + s)
    return out, where


def ref_unpool(signal, where, shape):
    out = np.zeros(shape)
    for (b, i, j, ch), (r, s) in where.items():
        out[b, r, s, ch] = signal[b, i, j, ch]
    return out


def ref_project(model, images, channel):
    return ref_project_any(model, images, channel, "same", "relu")   # defined below


@pytest.mark.parametrize("channel", [0, 3])
def test_matches_the_numpy_reference_on_random_weights(channel):
    model = small_net(seed=channel, bias=0.05)
    images = np.random.default_rng(channel).random((3, 12, 12, 2)).astype(np.float32)
    ours = project(model, "p2", images, channel)
    assert ours.shape == images.shape
    assert np.abs(ours).max() > 0
    np.testing.assert_allclose(ours, ref_project(model, images, channel), rtol=1e-4, atol=1e-5)


def test_one_hot_at_conv1_reproduces_the_filter_at_that_position():
    keras.utils.set_random_seed(3)
    inputs = keras.Input((9, 9, 1))
    model = keras.Model(inputs, layers.Conv2D(2, 3, padding="same", activation="relu", name="c1",
                                              bias_initializer="zeros")(inputs))
    kernel = np.abs(np.random.default_rng(0).normal(size=(3, 3, 1, 2))).astype(np.float32)
    model.get_layer("c1").set_weights([kernel, np.zeros(2, np.float32)])
    image = np.zeros((1, 9, 9, 1), np.float32)
    image[0, 4, 5, 0] = 1.0  # a single bright pixel: the strongest activation of map 1 is at (4, 5)
    value = float(np.asarray(model(image))[0, :, :, 1].max())
    projection = project(model, "c1", image, 1)[0, :, :, 0]
    expected = np.zeros((9, 9))
    expected[3:6, 4:7] = value * kernel[:, :, 0, 1]
    np.testing.assert_allclose(projection, expected, rtol=1e-5, atol=1e-6)


def test_zero_activation_projects_to_zero():
    model = small_net(bias=0.0)
    assert np.all(project(model, "p2", np.zeros((2, 12, 12, 2), np.float32), 1) == 0)


def test_projection_is_linear_in_the_activation_value():
    model = small_net(bias=0.0)  # without biases, scaling the image scales every activation
    images = np.random.default_rng(5).random((2, 12, 12, 2)).astype(np.float32)
    np.testing.assert_allclose(project(model, "p2", 3.0 * images, 2), 3.0 * project(model, "p2", images, 2),
                               rtol=1e-4, atol=1e-6)


def test_biases_do_not_change_the_projection_once_switches_are_fixed():
    model = small_net(bias=0.1)
    images = np.random.default_rng(6).random((2, 12, 12, 2)).astype(np.float32)
    stack = conv_stack(model, "p2")
    outputs, switches = forward(stack, images)
    signal = strongest(outputs[-1], 1)
    before = backproject(stack, signal, switches, images.shape)
    for name in ("c1", "c2"):
        kernel, bias = model.get_layer(name).get_weights()
        model.get_layer(name).set_weights([kernel, bias + 5.0])
    after = backproject(stack, signal, switches, images.shape)
    np.testing.assert_array_equal(before, after)


def _gradient(model, images, channel, guided):
    """Plain gradient, or guided backpropagation (only positive gradients through positive ReLUs)."""
    x = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(x)
        h = x
        for layer in conv_stack(model, "p2"):
            if hasattr(layer, "kernel"):
                pre = tf.nn.conv2d(h, layer.kernel, 1, "SAME") + layer.bias
                h = _guided_relu(pre) if guided else tf.nn.relu(pre)
            else:
                h = layer(h)
        score = tf.reduce_sum(tf.reduce_max(h[..., channel], axis=(1, 2)))
    return tape.gradient(score, x).numpy()


@tf.custom_gradient
def _guided_relu(x):
    def grad(upstream):
        return upstream * tf.cast(x > 0, upstream.dtype) * tf.cast(upstream > 0, upstream.dtype)
    return tf.nn.relu(x), grad


def test_differs_from_gradient_and_guided_backprop():
    model = small_net(seed=4, bias=0.05)
    images = np.random.default_rng(7).random((2, 12, 12, 2)).astype(np.float32)
    ours = project(model, "p2", images, 0)
    scale = np.abs(ours).max()
    for guided in (False, True):
        other = _gradient(model, images, 0, guided)
        other = other * (scale / max(np.abs(other).max(), 1e-12))  # compare shapes, not scale
        assert not np.allclose(ours, other, atol=1e-3 * scale), f"guided={guided}"


def test_rejects_a_network_it_cannot_invert():
    inputs = keras.Input((8, 8, 1))
    x = layers.Conv2D(2, 3, strides=2, padding="same", activation="relu", name="strided")(inputs)
    with pytest.raises(ValueError, match="stride 1"):
        project(keras.Model(inputs, x), "strided", np.zeros((1, 8, 8, 1), np.float32), 0)
    with pytest.raises(ValueError, match="no layer"):
        project(small_net(), "nope", np.zeros((1, 12, 12, 2), np.float32), 0)


# ---------------------------------------------------------------- other networks: valid padding, tanh

def any_net(padding, activation, seed=1, side=16):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((side, side, 3))
    bias = keras.initializers.Constant(0.05)
    x = layers.Conv2D(4, 3, padding=padding, activation=activation, name="c1", bias_initializer=bias)(inputs)
    x = layers.MaxPooling2D(2, name="p1")(x)
    x = layers.Conv2D(5, 5, padding=padding, activation=activation, name="c2", bias_initializer=bias)(x)
    x = layers.MaxPooling2D(2, name="p2")(x)
    return keras.Model(inputs, layers.Dense(3)(layers.Flatten()(x)))


def ref_conv(x, kernel, bias, padding, activation):
    k = kernel.shape[0] // 2
    if padding == "same":
        x = np.pad(x, ((0, 0), (k, k), (k, k), (0, 0)))
    n, h, w, _ = x.shape
    out = np.zeros((n, h - 2 * k, w - 2 * k, kernel.shape[3]))
    for i in range(h - 2 * k):
        for j in range(w - 2 * k):
            window = x[:, i:i + 2 * k + 1, j:j + 2 * k + 1, :]
            out[:, i, j, :] = np.tensordot(window, kernel, axes=([1, 2, 3], [0, 1, 2])) + bias
    return np.tanh(out) if activation == "tanh" else np.maximum(out, 0)


def ref_transposed(signal, kernel, padding):
    """Each output value spreads its filter back over the input positions it read from; 'same'
    crops the padding away, 'valid' had none."""
    n, h, w, _ = signal.shape
    k = kernel.shape[0] // 2
    out = np.zeros((n, h + 2 * k, w + 2 * k, kernel.shape[2]))
    for i in range(h):
        for j in range(w):
            out[:, i:i + 2 * k + 1, j:j + 2 * k + 1, :] += np.einsum("bo,xyio->bxyi", signal[:, i, j, :], kernel)
    return out[:, k:k + h, k:k + w, :] if padding == "same" else out


def ref_project_any(model, images, channel, padding, activation):
    c1, c2 = model.get_layer("c1"), model.get_layer("c2")
    a1 = ref_conv(images, *[np.asarray(v) for v in c1.weights], padding, activation)
    p1, where1 = ref_pool(a1)
    a2 = ref_conv(p1, *[np.asarray(v) for v in c2.weights], padding, activation)
    p2, where2 = ref_pool(a2)
    top = np.zeros_like(p2)
    for b in range(len(images)):
        r, s = np.unravel_index(np.argmax(p2[b, :, :, channel]), p2.shape[1:3])
        top[b, r, s, channel] = p2[b, r, s, channel]
    x = ref_unpool(top, where2, a2.shape)
    x = ref_transposed(np.maximum(x, 0), np.asarray(c2.kernel), padding)   # the paper's ReLU, on any network
    x = ref_unpool(x, where1, a1.shape)
    return ref_transposed(np.maximum(x, 0), np.asarray(c1.kernel), padding)


@pytest.mark.parametrize("padding, activation", [("valid", "relu"), ("same", "tanh"), ("valid", "tanh")])
def test_valid_padding_tanh_and_colour_match_the_reference(padding, activation):
    """16×16 colour images; with valid padding the sides go 16 → 14 → 7 → 3 → 1, so an odd side is pooled too."""
    model = any_net(padding, activation)
    images = np.random.default_rng(8).random((3, 16, 16, 3)).astype(np.float32)
    pooled = forward(conv_stack(model, "p2"), images)[0][-1]
    channel = int(pooled.max(axis=(0, 1, 2)).argmax())   # a map that fires: a tanh map may be negative everywhere
    ours = project(model, "p2", images, channel)
    assert ours.shape == images.shape and np.abs(ours).max() > 0
    np.testing.assert_allclose(ours, ref_project_any(model, images, channel, padding, activation),
                               rtol=1e-4, atol=1e-5)


def test_a_valid_convolution_reads_its_field_without_offset():
    from experiments.deconvnet import field_bounds

    stack = conv_stack(any_net("valid", "relu"), "p2")
    # p2 (0, 0) ← c2 rows 0–1 ← p1 rows 0–5 ← c1 rows 0–11 ← input rows 0–13
    assert field_bounds(stack, 0, 0) == (0, 13, 0, 13)
    stack = conv_stack(any_net("same", "relu"), "p2")
    assert field_bounds(stack, 0, 0) == (-5, 8, -5, 8)
