package org.vlalign.model.world;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.vlalign.Answer;
import org.vlalign.AskRequest;
import org.vlalign.FinishReason;
import org.vlalign.Timings;
import org.vlalign.VlModel;

/**
 * A {@link VlModel} for the world's evaluation tests: {@code askBatch} answers each request with a function of
 * it; {@code index} keeps nothing and {@code search} finds nothing; every other method throws. Thread-safe if
 * the function is.
 */
final class ScriptedVlModel {
    private ScriptedVlModel() {}

    /**
     * The model.
     *
     * @param answers the answer text of each request
     * @return a model answering through {@code answers}
     */
    static VlModel answering(Function<AskRequest, String> answers) {
        return (VlModel) Proxy.newProxyInstance(VlModel.class.getClassLoader(), new Class<?>[] {VlModel.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "askBatch" -> {
                        List<Answer> out = new ArrayList<>();
                        for (Object o : (List<?>) args[0]) {
                            out.add(new Answer(answers.apply((AskRequest) o), new int[] {4}, FinishReason.EOS, 0, 1,
                                    List.of(), Timings.ZERO));
                        }
                        yield out;
                    }
                    case "index", "close" -> null;
                    case "search" -> List.of();
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
