package io.wavelb.core.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * This JVM's class path with each directory packed into a jar, for a child wavelb that runs at
 * its descriptor limit. A JVM loads each class from a directory through a file it opens, so at
 * EMFILE a class not loaded yet fails for good (NoClassDefFoundError); from a jar, which stays
 * open, it loads, as it does for the shipped `java -jar wavelb.jar`. Packed once per test JVM.
 */
public final class PackedClasspath {

    private static String packed;

    private PackedClasspath() {
    }

    public static synchronized String get() {
        if (packed == null) {
            try {
                packed = pack(System.getProperty("java.class.path"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return packed;
    }

    private static String pack(String classPath) throws IOException {
        Path out = Files.createTempDirectory("wavelb-classpath-");
        out.toFile().deleteOnExit();
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : classPath.split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (!Files.isDirectory(p)) {
                entries.add(entry);
                continue;
            }
            Path jar = out.resolve("dir-" + n++ + ".jar");
            jar.toFile().deleteOnExit();
            try (JarOutputStream j = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(p)) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    j.putNextEntry(new JarEntry(p.relativize(f).toString().replace(File.separatorChar, '/')));
                    Files.copy(f, j);
                    j.closeEntry();
                }
            }
            entries.add(jar.toString());
        }
        return String.join(File.pathSeparator, entries);
    }
}
