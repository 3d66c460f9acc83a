package io.wavelb.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.Node;

/** Collects problems of one file; SnakeYAML marks are 0-based, problems are 1-based. */
final class Problems {

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

    ConfigException exception() {
        return new ConfigException(sorted());
    }

    /** {@code line 3, column 11}, for messages that point back at an earlier node. */
    static String where(Node node) {
        Mark mark = node.getStartMark();
        return "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
    }
}
