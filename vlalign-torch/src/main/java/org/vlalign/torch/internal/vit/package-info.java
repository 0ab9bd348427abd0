/**
 * The BLIP / EVA vision transformer used by BLIP-2 and InstructBLIP: patch embedding with a CLS token and
 * learned positions, pre-LayerNorm encoder layers with a fused {@code qkv} projection, and a final
 * {@code post_layernorm}.
 *
 * <p>The classes hold their weights as native arrays owned by the caller's model-level manager; a forward
 * pass allocates only in the manager of its inputs, which the caller opens and closes per call.
 *
 * @since 0.1.0
 */
package org.vlalign.torch.internal.vit;
