package org.vlalign.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.vlalign.Answer;
import org.vlalign.Chat;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Prompt;
import org.vlalign.TokenListener;
import org.vlalign.Turn;
import org.vlalign.spi.PatchAttention;

/**
 * A conversation about one image with a {@link ComposedVlModel}: the image embeddings are computed
 * once and every turn is answered with the whole conversation so far.
 *
 * <p><b>When the embeddings are computed.</b> For an extractor that ignores instructions, when the
 * chat is created. For an instruction-aware extractor (InstructBLIP's Q-Former), at the first {@link
 * #send}, with the first question as the instruction, and then reused for every later turn: the
 * image is encoded once per chat, and the first turn equals {@link ComposedVlModel#ask} for the same
 * question. Later questions do not re-encode the image; start a new chat to condition the image on a
 * different instruction.
 *
 * <p><b>Turns.</b> A non-empty system prompt becomes a {@link org.vlalign.Role#SYSTEM} turn first
 * (an empty one lets the template use its default); each {@link #send} appends the question and the
 * answer's text. A failed send leaves the turns unchanged.
 *
 * <p><b>Attention maps.</b> A {@link #send} with {@link GenerationConfig#attentionMap()} relates the image's
 * features to its patches once per chat (extracted with the instruction the chat's embeddings use), and maps
 * that answer's attention over the image onto the patches as {@link ComposedVlModel#ask} does.
 *
 * <p><b>Past the context length.</b> When the conversation's prompt and room for the answer (its
 * {@code maxNewTokens}, but at most a quarter of the context) no longer fit the language model's
 * context length, the earliest question and answer pairs are left out of the prompt, oldest first,
 * until it fits; the system prompt, the image and the latest turns always stay. {@link
 * #droppedTurns()} says how many turns the last answer did not see; {@link #turns()} keeps them all. The first answer's {@code extract}
 * timing holds the image's encoding time; later answers report zero.
 *
 * <p>Not thread-safe: use one chat per conversation. The model behind it is thread-safe, so many
 * chats may run at once.
 *
 * @since 0.1.0
 */
public final class ComposedChat implements Chat {
    private final ComposedVlModel model;
    private final ImageInput image;
    private final List<Turn> turns = new ArrayList<>();
    private Features embeddings; // (tokens, hidden) adapted image embeddings, null until computed
    private String instructionQuery; // the question the embeddings were computed with
    private PatchAttention patches; // the image's relation to its patches, null until an attention map is asked
    private Duration pendingExtract = Duration.ZERO;
    private int droppedTurns;

    ComposedChat(ComposedVlModel model, ImageInput image, String systemPrompt) {
        this.model = model;
        this.image = image;
        if (!systemPrompt.isEmpty()) {
            turns.add(Turn.system(systemPrompt));
        }
        if (!model.featureExtractor().acceptsInstruction()) {
            encode("");
        }
    }

    private void encode(String query) {
        long start = System.nanoTime();
        embeddings = model.embed(image, query);
        instructionQuery = query;
        pendingExtract = Duration.ofNanos(System.nanoTime() - start);
    }

    /**
     * The image's relation to the patches, computed once, with the instruction the embeddings were (or, at the
     * first send, will be) computed with; on a chat without embeddings yet, it also provides them, so both come
     * from one extraction.
     */
    private PatchAttention patchAttention(String query) {
        if (patches == null) {
            long start = System.nanoTime();
            String instruction = embeddings == null ? query : instructionQuery;
            PatchAttention computed = model.patchAttention(image, instruction);
            Features adapted = model.adaptRows(computed);
            if (embeddings == null) {
                embeddings = adapted;
                instructionQuery = instruction;
                pendingExtract = Duration.ofNanos(System.nanoTime() - start);
            }
            patches = computed;
        }
        return patches;
    }

    @Override
    public Answer send(String query) {
        return send(query, model.defaultConfig(), text -> {});
    }

    @Override
    public Answer send(String query, GenerationConfig config, TokenListener listener) {
        model.checkOpen();
        if (query == null || config == null || listener == null) {
            throw new InvalidArgumentException(
                    "query, config and listener must not be null (query " + (query == null ? "null" : "set")
                            + ", config " + config + ", listener " + listener + ")");
        }
        PatchAttention mapTo = config.attentionMap() ? patchAttention(query) : null;
        if (embeddings == null) {
            encode(query);
        }
        List<Turn> conversation = new ArrayList<>(turns);
        conversation.add(Turn.user(query));
        Prompt prompt = model.promptWrapper().wrap(embeddings, conversation);
        int dropped = 0;
        int context = model.languageModel().contextLength();
        int room = Math.min(config.maxNewTokens(), Math.max(1, context / 4));
        int first = conversation.isEmpty() || conversation.get(0).role() != org.vlalign.Role.SYSTEM ? 0 : 1;
        // drop the oldest question and answer pair while the prompt leaves no room to answer
        while (positions(prompt) + room > context && conversation.size() - first > 2) {
            conversation.remove(first);
            conversation.remove(first);
            dropped += 2;
            prompt = model.promptWrapper().wrap(embeddings, conversation);
        }
        Answer answer = model.languageModel().generate(prompt, model.withTemplateStops(config), listener);
        if (mapTo != null) {
            answer = model.withPatchMap(answer, mapTo);
        }
        droppedTurns = dropped;
        turns.add(Turn.user(query));
        turns.add(Turn.assistant(answer.text()));
        Duration extract = pendingExtract;
        pendingExtract = Duration.ZERO;
        return answer.withTimings(answer.timings().withVision(Duration.ZERO, extract));
    }

    /** The positions a prompt takes in the language model: tokens of its text plus embedding rows. */
    private int positions(Prompt prompt) {
        int n = 0;
        for (Prompt.Segment s : prompt.segments()) {
            if (s instanceof Prompt.Segment.Text t) {
                n += model.languageModel().encode(t.text()).length;
            } else if (s instanceof Prompt.Segment.Tokens t) {
                n += t.ids().length;
            } else if (s instanceof Prompt.Segment.Embeddings e) {
                n += e.features().rows();
            } else {
                n++; // Bos, Eos
            }
        }
        return n;
    }

    @Override
    public int droppedTurns() {
        return droppedTurns;
    }

    @Override
    public List<Turn> turns() {
        return List.copyOf(turns);
    }

    @Override
    public ImageInput image() {
        return image;
    }

    @Override
    public String toString() {
        return "ComposedChat[" + image.description() + ", " + turns.size() + " turns]";
    }
}
