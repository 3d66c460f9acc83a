package io.wavelb.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.Node;

/** Collects problems of one file; SnakeYAML marks are 0-based, problems are 1-based. */
final class Problems {

    static final int MAX_REPORTED = 200;

    private final String file;
    private final List<Problem> problems = new ArrayList<>();

    Problems(String file) {
        this.file = file;
    }

    void at(Node node, String path, String message) {
        at(node.getStartMark(), path, message);
    }

    void at(Mark mark, String path, String message) {
        if (mark == null) {
            atStart(path, message);
        } else {
            problems.add(new Problem(file, mark.getLine() + 1, mark.getColumn() + 1, path, message));
        }
    }

    /** For problems of the whole file (too large, empty): they have no better place than its start. */
    void atStart(String path, String message) {
        problems.add(new Problem(file, 1, 1, path, message));
    }

    boolean isEmpty() {
        return problems.isEmpty();
    }

    /** In file order, so the list reads top to bottom like the file; the sort is stable for ties. */
    List<Problem> sorted() {
        List<Problem> copy = new ArrayList<>(problems);
        copy.sort(Comparator.comparingInt(Problem::line).thenComparingInt(Problem::column));
        return copy;
    }

    /**
     * All problems in file order, up to {@link #MAX_REPORTED}; past that a file is garbage or
     * generated wrongly, and a 4 MiB file of mistakes should not become a 40 MB message.
     */
    ConfigException exception() {
        List<Problem> all = sorted();
        if (all.size() <= MAX_REPORTED) {
            return new ConfigException(all);
        }
        List<Problem> shown = new ArrayList<>(all.subList(0, MAX_REPORTED));
        Problem next = all.get(MAX_REPORTED);
        shown.add(new Problem(file, next.line(), next.column(), "",
                "and " + (all.size() - MAX_REPORTED) + " more problems from here on"));
        return new ConfigException(shown);
    }

    /** {@code line 3, column 11}, for messages that point back at an earlier node. */
    static String where(Node node) {
        Mark mark = node.getStartMark();
        return "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
    }
}
