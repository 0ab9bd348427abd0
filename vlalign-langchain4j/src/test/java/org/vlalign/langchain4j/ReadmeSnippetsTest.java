package org.vlalign.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Java snippet of the top-level README compiles against the built artifacts (this module's test class
 * path holds the API, the torch engine, the default model, LangChain4j and these adapters), so a reader who
 * copies one with the dependencies the README lists gets code that compiles.
 */
class ReadmeSnippetsTest {
    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
    private static final String IMPORTS = String.join("\n",
            "import dev.langchain4j.data.message.ImageContent;",
            "import dev.langchain4j.service.AiServices;",
            "import dev.langchain4j.service.UserMessage;",
            "import java.nio.file.*;",
            "import java.util.*;",
            "import org.vlalign.*;",
            "import org.vlalign.defaultmodel.*;",
            "import org.vlalign.langchain4j.*;",
            "");

    @TempDir Path out;

    @Test
    void should_compile_every_java_snippet_of_the_readme() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        List<JavaFileObject> sources = new ArrayList<>();
        Matcher m = JAVA_BLOCK.matcher(readme);
        while (m.find()) {
            String name = "Snippet" + sources.size();
            String code = IMPORTS + "class " + name + " {\n  void run() throws Exception {\n" + m.group(1)
                    + "\n  }\n}\n";
            sources.add(new SimpleJavaFileObject(Path.of(name + ".java").toUri(), JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return code;
                }
            });
        }
        assertTrue(sources.size() >= 3, "the README's Java examples: " + sources.size());

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        StringWriter diagnostics = new StringWriter();
        try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, null)) {
            boolean ok = javac.getTask(diagnostics, files, null,
                    List.of("-classpath", classPath, "-d", out.toString(), "--release", "17", "-proc:none"),
                    null, sources).call();
            assertTrue(ok, "README snippets do not compile:\n" + diagnostics);
        }
        assertEquals(sources.size(), out.toFile().list((d, n) -> n.startsWith("Snippet") && n.endsWith(".class")
                && !n.contains("$")).length);
    }
}
