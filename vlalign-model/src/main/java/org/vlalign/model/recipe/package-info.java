/**
 * The training recipe of vlalign's embedded default model: random Hugging Face checkpoints
 * ({@link org.vlalign.model.recipe.RandomCheckpoints}), contrastive ViT + Q-Former training
 * ({@link org.vlalign.model.recipe.ContrastiveTrainer}), Llama pre-training
 * ({@link org.vlalign.model.recipe.LanguageModelPretrainer}) and the one-command pipeline that adds the adaptor
 * stages ({@link org.vlalign.model.recipe.DefaultModelRecipe}). The trainers drive the SDK's own model classes
 * through a package-private weight binding, so the trained folders load with the same loaders as
 * downloaded checkpoints.
 *
 * @since 0.1.0
 */
package org.vlalign.model.recipe;
