package org.vlalign.torch.internal.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import java.util.Locale;
import org.vlalign.UnsupportedModelException;

/**
 * The MLP activations CLIP configs name in {@code hidden_act}.
 *
 * <p>Thread-safe (stateless).
 *
 * @since 0.1.0
 */
public enum ClipActivation {
    /** {@code x * sigmoid(1.702 x)}: the original CLIP activation. */
    QUICK_GELU,
    /** The exact erf GELU (PyTorch's default, not the tanh approximation). */
    GELU,
    /** The tanh approximation of GELU ({@code gelu_new}, {@code gelu_pytorch_tanh}). */
    GELU_TANH,
    /** {@code max(x, 0)}. */
    RELU;

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    /**
     * The activation a config names.
     *
     * @param name the {@code hidden_act} value
     * @return the activation
     * @throws UnsupportedModelException for other names
     */
    public static ClipActivation of(String name) {
        switch (name == null ? "" : name.toLowerCase(Locale.ROOT)) {
            case "quick_gelu":
                return QUICK_GELU;
            case "gelu":
                return GELU;
            case "gelu_new":
            case "gelu_pytorch_tanh":
                return GELU_TANH;
            case "relu":
                return RELU;
            default:
                throw new UnsupportedModelException(
                        "hidden_act '" + name + "' in config.json is not supported by the CLIP encoder;"
                                + " supported: quick_gelu, gelu, gelu_new, gelu_pytorch_tanh, relu.");
        }
    }

    /**
     * Applies the activation.
     *
     * @param x any shape
     * @return same shape, attached to the same manager as {@code x}
     */
    public NDArray apply(NDArray x) {
        switch (this) {
            case QUICK_GELU:
                return x.mul(Activation.sigmoid(x.mul(1.702f)));
            case GELU:
                return Activation.gelu(x);
            case GELU_TANH:
                NDArray inner = x.add(x.pow(3).mul(0.044715f)).mul((float) SQRT_2_OVER_PI);
                return x.mul(inner.tanh().add(1f)).mul(0.5f);
            case RELU:
                return Activation.relu(x);
            default:
                throw new AssertionError(this);
        }
    }
}
