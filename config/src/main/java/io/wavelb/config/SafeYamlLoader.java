package io.wavelb.config;

import java.io.StringReader;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Turns YAML text into a SnakeYAML node tree and nothing more.
 *
 * <p>Only the composer runs: no {@code Constructor} exists on this path, so no tag can ever be
 * turned into a Java object (the class of bug behind CVE-2022-1471). The tree keeps every node's
 * {@link Mark}, which is what lets each {@link Problem} name a line and column. The limits below
 * bound the work a hostile or broken file can cause before the binder sees it.
 */
final class SafeYamlLoader {

    /** Larger than any sane config by orders of magnitude; also the byte limit of {@link ConfigLoader#load}. */
    static final int MAX_CODE_POINTS = 4 * 1024 * 1024;
    /** Aliases to collections are how "billion laughs" grows; a config has no real need for them. */
    static final int MAX_ALIASES_FOR_COLLECTIONS = 20;
    /** The config is 4 levels deep; 32 leaves room for mistakes while keeping the recursive composer's stack small. */
    static final int MAX_NESTING_DEPTH = 32;

    private SafeYamlLoader() {
    }

    /**
     * The root node of the single document in {@code yaml}, or {@code null} when there is no
     * document at all (an empty file or only comments).
     */
    static Node compose(String yaml, String file) throws ConfigException {
        Problems problems = new Problems(file);
        RejectingTagInspector tags = new RejectingTagInspector();
        LoaderOptions options = options(tags);
        try {
            Composer composer = new Composer(
                    new ParserImpl(new StreamReader(new StringReader(yaml)), options), new Resolver(), options);
            if (!composer.checkNode()) {
                return null;
            }
            Node root = composer.getNode();
            if (composer.checkNode()) {
                problems.at(composer.getNode(), "", "a second YAML document (expected exactly one; remove the '---')");
                throw problems.exception();
            }
            return root;
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            problems.at(mark, "", tags.rejected != null ? tagMessage(tags.rejected) : syntaxMessage(e));
        } catch (YAMLException e) {
            // The alias, nesting and size limits throw without a mark; SnakeYAML's text names the limit.
            problems.atStart("", "rejected YAML: " + e.getMessage());
        } catch (RuntimeException e) {
            // The parser's contract is YAMLException, but this is untrusted input at a trust boundary:
            // any other failure of the parser must still reach the user as a problem, not a stack trace.
            problems.atStart("", "YAML parser failed: " + e);
        }
        throw problems.exception();
    }

    private static LoaderOptions options(RejectingTagInspector tags) {
        LoaderOptions options = new LoaderOptions();
        // The composer does not act on this (duplicate keys are found by the binder, with both
        // locations); it is set so that any future constructing path fails closed as well.
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(MAX_ALIASES_FOR_COLLECTIONS);
        options.setCodePointLimit(MAX_CODE_POINTS);
        options.setNestingDepthLimit(MAX_NESTING_DEPTH);
        options.setAllowRecursiveKeys(false);
        options.setMergeOnCompose(false);
        options.setTagInspector(tags);
        return options;
    }

    static String tagMessage(Tag tag) {
        return "tag '" + displayTag(tag.getValue()) + "' is not allowed (wavelb configs are plain YAML: no tags)";
    }

    /** {@code tag:yaml.org,2002:set} is written {@code !!set} in a file; show it the way the user wrote it. */
    static String displayTag(String tag) {
        return tag.startsWith(Tag.PREFIX) ? "!!" + tag.substring(Tag.PREFIX.length()) : tag;
    }

    private static String syntaxMessage(MarkedYAMLException e) {
        StringBuilder message = new StringBuilder("invalid YAML: ").append(e.getProblem());
        Mark context = e.getContextMark();
        if (e.getContext() != null) {
            message.append(" (").append(e.getContext());
            if (context != null && context != e.getProblemMark()) {
                message.append(" at line ").append(context.getLine() + 1)
                        .append(", column ").append(context.getColumn() + 1);
            }
            message.append(')');
        }
        return message.toString();
    }

    /**
     * Refuses every global tag ({@code !!javax.script.ScriptEngineManager}, {@code !<tag:...>}).
     * Remembers the tag so the problem can name it without parsing SnakeYAML's message text.
     */
    private static final class RejectingTagInspector implements org.yaml.snakeyaml.inspector.TagInspector {
        Tag rejected;

        @Override
        public boolean isGlobalTagAllowed(Tag tag) {
            rejected = tag;
            return false;
        }
    }
}
