package org.vlalign.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Finds the types a module's public surface exposes, to check that an engine stays fenced: a public or
 * protected constructor, method or field of a public class whose signature (generic arguments included)
 * names a type from a forbidden package, such as {@code ai.djl.} outside {@code internal} and SPI packages.
 *
 * <pre>{@code
 * List<String> leaks = PublicSignatures.naming(PublicSignatures.classesOf(TorchModels.class),
 *         p -> p.startsWith("org.vlalign.torch") && !p.contains(".internal"), "ai.djl.");
 * assertEquals(List.of(), leaks);
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.2.0
 */
public final class PublicSignatures {
    private PublicSignatures() {}

    /**
     * The folder (or jar) a class was loaded from: a module's {@code target/classes} in the build.
     *
     * @param type a class of the module
     * @return its class path root
     */
    public static Path classesOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("no file location for " + type, e);
        }
    }

    /**
     * Asserts that no public member of a module's public packages names a forbidden type.
     *
     * @param forbiddenPrefix the start of the forbidden types' names, e.g. {@code ai.djl.}
     * @param anyClassOfTheModule a class of the module, to find its class folder
     * @param packages which packages count as public surface
     */
    public static void assertNoneNames(String forbiddenPrefix, Class<?> anyClassOfTheModule,
            Predicate<String> packages) {
        Path classes = classesOf(anyClassOfTheModule);
        assertFalse(publicClasses(classes, packages).isEmpty(), "no public class of these packages in " + classes);
        assertEquals(List.of(), naming(classes, packages, forbiddenPrefix),
                "public members that name " + forbiddenPrefix + "* types; move them to an internal package");
    }

    /**
     * The members of the public classes below a class folder that name a forbidden type.
     *
     * @param classes a class folder, e.g. from {@link #classesOf}
     * @param packages which packages count as public surface
     * @param forbiddenPrefix the start of the forbidden types' names, e.g. {@code ai.djl.}
     * @return one line per offending member, {@code class: member}; empty if the fence holds
     */
    public static List<String> naming(Path classes, Predicate<String> packages, String forbiddenPrefix) {
        List<String> out = new ArrayList<>();
        for (Class<?> type : publicClasses(classes, packages)) {
            for (Type t : supertypes(type)) {
                check(out, type, "extends/implements", forbiddenPrefix, t);
            }
            for (Constructor<?> c : type.getDeclaredConstructors()) {
                if (visible(c)) {
                    check(out, type, c.toGenericString(), forbiddenPrefix, c.getGenericParameterTypes());
                }
            }
            for (Method m : type.getDeclaredMethods()) {
                if (visible(m) && !m.isSynthetic() && !m.isBridge()) {
                    check(out, type, m.toGenericString(), forbiddenPrefix, m.getGenericReturnType());
                    check(out, type, m.toGenericString(), forbiddenPrefix, m.getGenericParameterTypes());
                }
            }
            for (Field f : type.getDeclaredFields()) {
                if (visible(f) && !f.isSynthetic()) {
                    check(out, type, f.toGenericString(), forbiddenPrefix, f.getGenericType());
                }
            }
        }
        return out;
    }

    /** The public classes (nested ones only if every enclosing class is public) of the packages. */
    static List<Class<?>> publicClasses(Path classes, Predicate<String> packages) {
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                String relative = classes.relativize(file).toString();
                String name = relative.substring(0, relative.length() - ".class".length())
                        .replace(file.getFileSystem().getSeparator(), ".");
                int dot = name.lastIndexOf('.');
                String pkg = dot < 0 ? "" : name.substring(0, dot);
                if (name.endsWith("package-info") || name.endsWith("module-info") || !packages.test(pkg)) {
                    continue;
                }
                Class<?> type = Class.forName(name, false, PublicSignatures.class.getClassLoader());
                if (!type.isSynthetic() && !type.isAnonymousClass() && !type.isLocalClass() && exported(type)) {
                    out.add(type);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("a class file below " + classes + " is not on the test class path", e);
        }
        return out;
    }

    private static boolean exported(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getEnclosingClass()) {
            if (!Modifier.isPublic(c.getModifiers())) {
                return false;
            }
        }
        return true;
    }

    private static boolean visible(Member m) {
        int mod = m.getModifiers();
        boolean extensible = !Modifier.isFinal(m.getDeclaringClass().getModifiers());
        return Modifier.isPublic(mod) || (Modifier.isProtected(mod) && extensible);
    }

    private static List<Type> supertypes(Class<?> type) {
        List<Type> out = new ArrayList<>(List.of(type.getGenericInterfaces()));
        if (type.getGenericSuperclass() != null) {
            out.add(type.getGenericSuperclass());
        }
        return out;
    }

    private static void check(List<String> out, Class<?> owner, String member, String prefix, Type... types) {
        for (Type t : types) {
            if (t.getTypeName().contains(prefix)) {
                out.add(owner.getName() + ": " + member);
                return;
            }
        }
    }
}
