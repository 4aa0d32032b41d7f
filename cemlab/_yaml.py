"""The one YAML reader for params and instrument files: strict where PyYAML is lenient.

PyYAML keeps the last of two equal keys without a word (``min_group_size: 5`` then
``min_group_size: 1`` gives 1), and expands aliases without limit, so a 1 KB "billion laughs"
file becomes millions of values for the validation behind it. `parse_yaml` refuses both, and
keeps its own messages short, whatever the file holds.
"""

from __future__ import annotations

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

#: The most values (after alias expansion) a params or instrument file may hold. The largest
#: real instrument is a few thousand; an alias bomb is billions.
MAX_VALUES = 100_000

#: The longest message text taken from a parser error or a value in the file.
MAX_MESSAGE = 300


class YamlProblem(ValueError):
    """The text is not YAML cemlab accepts; the message says where and what to do."""


def shorten(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to ``limit`` characters, marked with "..." when cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (merge keys ``<<`` aside)."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        first_line: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *defaults" then a key of its own overrides on purpose
            key = self.construct_object(key_node, deep=True)
            try:
                seen = first_line.get(key)
            except TypeError:  # an unhashable key: SafeLoader's own error says so
                break
            line = key_node.start_mark.line + 1
            if seen is not None:
                shown = shorten(repr(key), 60)
                raise YamlProblem(
                    f"key {shown} is given twice (lines {seen} and {line}); YAML would "
                    f"silently keep only the second. Fix: keep one {shown} line and delete the "
                    "other"
                )
            first_line[key] = line
        return super().construct_mapping(node, deep=deep)


def _expanded_size(root: Node) -> int:
    """How many values ``root`` holds once every alias is expanded; stops past `MAX_VALUES`.

    Aliases share nodes, so sizes are memoised per node: linear in the file, however large
    the expansion. A node that contains itself (``&a [*a]``) is refused.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise YamlProblem(
                f"line {node.start_mark.line + 1}: an alias refers to the value that contains "
                "it, which never ends. Fix: write the value out instead of the alias"
            )
        open_nodes.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            children: list[Node] = list(node.value)
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > MAX_VALUES:
                break
        open_nodes.discard(key)
        sizes[key] = total
        return total

    return size(root) if not isinstance(root, ScalarNode) else 1


def parse_yaml(text: str) -> object:
    """The value of one YAML document, read safely; raises `YamlProblem` with a short message.

    Refused: text that is not YAML, a key given twice in one mapping, a value that contains
    itself, and more than `MAX_VALUES` values after alias expansion (``&a`` / ``*a``).
    """
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_VALUES:
            raise YamlProblem(
                f"the file expands to more than {MAX_VALUES:,} values (aliases *name repeat "
                "the value marked &name). Fix: write the values out; a params or instrument "
                "file needs no aliases"
            )
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {shorten(str(exc))}") from None
    except RecursionError:
        raise YamlProblem(
            "the values are nested too deeply to read. Fix: write lists and mappings at most "
            "a few levels deep"
        ) from None
    finally:
        loader.dispose()
