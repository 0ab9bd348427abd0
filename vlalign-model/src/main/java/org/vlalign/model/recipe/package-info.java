/**
 * The training recipe of vlalign's embedded default model: random Hugging Face checkpoints
 * ({@link org.vlalign.model.recipe.RandomCheckpoints}), the world's training data ({@link
 * org.vlalign.model.recipe.WorldData}), the settings and data order of the pre-training stages ({@link
 * org.vlalign.model.recipe.TrainOptions}) and the one-command pipeline ({@link
 * org.vlalign.model.recipe.DefaultModelRecipe}), which configures {@code vlalign-train}'s loop with its
 * contrastive, language-model and adaptor objectives, and the gates it checks between stages ({@link
 * org.vlalign.model.recipe.ExtractorProbes}, {@link org.vlalign.model.recipe.ReadingGate}). The objectives train the SDK's own model classes
 * through their named parameters, so the trained folders load with the same loaders as downloaded
 * checkpoints.
 *
 * @since 0.1.0
 */
package org.vlalign.model.recipe;
