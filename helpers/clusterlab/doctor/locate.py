"""Where a finding points: file, line and column in the user's own files.

Compose's normalised model (``docker compose config``) has no line numbers, so the
checks name what they are about as a key path into the compose model
(``("services", "a", "environment", "RELEASE_NODE")``) and this module finds that key in
the files the user wrote: the compose file, files it pulls in with ``include`` and
``extends``, YAML anchors and merge keys (the anchor's line), and ``env_file`` files.
A value interpolated from ``.env`` or the shell points at the line that uses the
variable (the column of its ``$``). A key that can't be found falls back to the
nearest enclosing key, and at worst to line 1 of the compose file, so every finding
has a line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from .findings import Finding, Key, Location

_MERGE = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class _Hit:
    """A node found in one file: the key node (None for a sequence item) and its value."""

    file: Path
    text: str
    key: yaml.Node | None
    value: yaml.Node


def display_path(path: Path | str) -> str:
    """A path as the user would write it: relative to the working folder when inside it."""
    path = Path(path)
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) \
            else str(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _pairs(node: yaml.Node) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    """A mapping's own pairs first, then those it merges in (``<<: *anchor``), as Compose does."""
    if not isinstance(node, yaml.MappingNode):
        return
    merges = []
    for key, value in node.value:
        if key.tag == _MERGE or (isinstance(key, yaml.ScalarNode) and key.value == "<<"):
            merges.extend(value.value if isinstance(value, yaml.SequenceNode) else [value])
        else:
            yield key, value
    for merged in merges:
        yield from _pairs(merged)


def _child(node: yaml.Node, segment: str) -> tuple[yaml.Node | None, yaml.Node] | None:
    """``segment`` inside a mapping (by key) or a sequence (by item: ``VAR=…``, a port…)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in _pairs(node):
            if isinstance(key, yaml.ScalarNode) and key.value == segment:
                return key, value
        return None
    if isinstance(node, yaml.SequenceNode):
        token = re.compile(rf"(?<![\w.-]){re.escape(segment)}(?![\w-])")
        for rule in ("exact", "token"):
            for item in node.value:
                text = _flat(item)
                if rule == "exact" and (text == segment or text.startswith(f"{segment}=")):
                    return None, item
                if rule == "token" and token.search(text):
                    return None, item
    return None


def _flat(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    if isinstance(node, yaml.MappingNode):
        return " ".join(f"{_flat(k)}: {_flat(v)}" for k, v in node.value)
    return " ".join(_flat(i) for i in node.value)


class Locator:
    """The user's compose file(s) read with positions; ``find(key)`` → ``Location``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._texts: dict[Path, str] = {}
        self._roots: dict[Path, yaml.Node | None] = {}

    # -- files ---------------------------------------------------------------------------

    def text(self, file: Path | str) -> str:
        file = Path(file).resolve()
        if file not in self._texts:
            try:
                self._texts[file] = file.read_text(errors="replace")
            except OSError:
                self._texts[file] = ""
        return self._texts[file]

    def line(self, file: str, number: int) -> str:
        """Line ``number`` (1-based) of ``file``, or '' (for suppression comments)."""
        lines = self.text(file).splitlines()
        return lines[number - 1] if 0 < number <= len(lines) else ""

    def _root(self, file: Path) -> yaml.Node | None:
        file = file.resolve()
        if file not in self._roots:
            try:
                self._roots[file] = yaml.compose(self.text(file), Loader=yaml.SafeLoader)
            except yaml.YAMLError:
                self._roots[file] = None
        return self._roots[file]

    def _files(self, file: Path, seen: set[Path] | None = None) -> Iterator[Path]:
        """``file`` and, depth first, the files its top-level ``include:`` pulls in."""
        seen = seen if seen is not None else set()
        file = file.resolve()
        if file in seen:
            return
        seen.add(file)
        yield file
        found = _child(self._root(file), "include") if self._root(file) else None
        if not found or not isinstance(found[1], yaml.SequenceNode):
            return
        for item in found[1].value:
            paths: list[yaml.Node] = [item]
            if isinstance(item, yaml.MappingNode):
                got = _child(item, "path")
                paths = [] if got is None else (got[1].value if isinstance(
                    got[1], yaml.SequenceNode) else [got[1]])
            for node in paths:
                if isinstance(node, yaml.ScalarNode):
                    yield from self._files(file.parent / str(node.value), seen)

    # -- finding a key ---------------------------------------------------------------------

    def _walk(self, file: Path, node: yaml.Node, path: Sequence[str],
              key: yaml.Node | None = None) -> tuple[_Hit, int]:
        """The deepest node along ``path`` from ``node``, and how many segments it matched."""
        matched = 0
        for segment in path:
            found = _child(node, segment)
            if found is None:
                break
            key, node = found
            matched += 1
        return _Hit(file, self.text(file), key, node), matched

    def _service(self, name: str) -> tuple[Path, yaml.Node, yaml.Node] | None:
        """(file, key node, mapping) of service ``name`` in the file or what it includes."""
        for file in self._files(self.path):
            root = self._root(file)
            services = _child(root, "services") if root is not None else None
            if services is None and isinstance(root, yaml.MappingNode):
                services = (None, root)  # Compose file format v1: services at the top
            found = _child(services[1], name) if services else None
            if found is not None and found[0] is not None:
                return file, found[0], found[1]
        return None

    def _extended(self, file: Path, service: yaml.Node) -> tuple[Path, yaml.Node] | None:
        """The service that ``service`` extends (``extends: x`` or ``{file, service}``)."""
        found = _child(service, "extends")
        if found is None:
            return None
        spec, target_file = found[1], file
        if isinstance(spec, yaml.ScalarNode):
            name = str(spec.value)
        else:
            got_name, got_file = _child(spec, "service"), _child(spec, "file")
            if got_name is None:
                return None
            name = str(got_name[1].value)
            if got_file is not None:
                target_file = (file.parent / str(got_file[1].value)).resolve()
        root = self._root(target_file)
        services = _child(root, "services") if root is not None else None
        target = _child(services[1], name) if services else None
        if target is None or target[1] is service:
            return None
        return target_file, target[1]

    def find(self, key: Key) -> Location | None:
        """The best position for ``key`` in the user's files; None when no file has it."""
        if not key:
            return None
        if key[0] != "services" or len(key) < 2:
            for file in self._files(self.path):
                root = self._root(file)
                if root is not None:
                    hit, matched = self._walk(file, root, key)
                    if matched == len(key):
                        return self._location(hit, ())
            return None
        service = self._service(key[1])
        if service is None:
            return None
        file, name_node, node = service
        rest = key[2:]
        best = (_Hit(file, self.text(file), name_node, node), 0)
        seen: set[int] = set()
        while node is not None and id(node) not in seen:  # the service, then what it extends
            seen.add(id(node))
            hit, matched = self._walk(file, node, rest)
            if matched > best[1]:
                best = (hit, matched)
            if matched == len(rest):
                break
            base = self._extended(file, node)
            file, node = base if base is not None else (file, None)
        hit, matched = best
        if matched < len(rest) and len(rest) >= 2 and rest[0] == "environment" \
                and (from_file := self._env_file(key[1], rest[1])) is not None:
            return from_file
        return self._location(hit, rest[matched:])

    def _env_file(self, service: str, variable: str) -> Location | None:
        """A variable that the service reads from its ``env_file:`` files."""
        found_service = self._service(service)
        if found_service is None:
            return None
        file, _, node = found_service
        found = _child(node, "env_file")
        if found is None:
            return None
        items = found[1].value if isinstance(found[1], yaml.SequenceNode) else [found[1]]
        pattern = re.compile(rf"^[ \t]*(?:export[ \t]+)?({re.escape(variable)})[ \t]*=", re.M)
        for item in items:
            if isinstance(item, yaml.MappingNode):
                got = _child(item, "path")
                item = got[1] if got else item
            if not isinstance(item, yaml.ScalarNode):
                continue
            env_path = file.parent / str(item.value)
            text = self.text(env_path)
            if match := pattern.search(text):
                line, column = _position(text, match.start(1))
                return Location(display_path(env_path), line, column)
        return None

    def _location(self, hit: _Hit, rest: Sequence[str]) -> Location:
        """Key column for a key; inside a scalar, the column of ``rest`` or of a ``$``."""
        node = hit.key if hit.key is not None else hit.value
        index = node.start_mark.index
        value = hit.value
        if isinstance(value, yaml.ScalarNode):
            span = hit.text[value.start_mark.index:value.end_mark.index]
            needle = rest[0] if rest else None
            at = span.find(needle) if needle else -1
            if at < 0 and "$" in span:
                at = span.find("$")
            if at >= 0:
                index = value.start_mark.index + at
        line, column = _position(hit.text, index)
        return Location(display_path(hit.file), line, column)


def place(findings: Sequence[Finding], locator: Locator) -> list[Finding]:
    """``findings`` with ``locations`` filled from their keys (at least the compose file)."""
    out = []
    for finding in findings:
        located = [replace(p, file=display_path(p.file)) for p in finding.locations]
        for key in finding.keys:
            found = locator.find(key)
            if found is not None and found not in located:
                located.append(found)
        if not located:
            located.append(Location(display_path(locator.path), 1, 1))
        out.append(replace(finding, locations=tuple(located)))
    return out
