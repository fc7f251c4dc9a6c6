"""CSS selection on one parsed page from an index of its elements, without an XPath walk.

Extraction runs a dozen or more site-rule selectors on every article page (title, header, meta,
attachment and body candidates, each tried in order), and lxml evaluates each translated XPath
by walking the whole tree, testing ``contains(concat(' ', normalize-space(@class), ' '), …)``
on every element: a fifth of the page step's CPU in a profile of the crawl. :class:`PageIndex`
walks the tree once, files every element under its tag, id and classes, and answers the
selector forms site rules use — type, ``.class``, ``#id``, ``[attr=value]``, their compounds,
the descendant and child combinators and ``,`` lists — from that index, in document order
like XPath. Any other form (pseudo-classes, other attribute operators, namespaces) goes to
lxml's XPath, so every selector keeps its meaning; ``tests/test_cssindex.py`` checks both
ways agree on every site rule and every saved page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import cssselect
from lxml import etree

# What XPath's normalize-space() treats as space in a class attribute (XML whitespace only:
# a no-break space is part of a class name).
_XML_SPACE = str.maketrans("\t\r\n", "   ")

Element = etree._Element


class _Unsupported(Exception):
    """A selector form the index does not answer (XPath does)."""


class _Compound:
    """One compound selector (``div.info#x[name=v]``): the tests one element must pass."""

    def __init__(self, tree: Any) -> None:  # a cssselect parsed-selector node
        self.tag: str | None = None
        self.classes: list[str] = []
        self.ids: list[str] = []
        self.attribs: list[tuple[str, str]] = []
        while True:
            kind = type(tree).__name__
            if kind == "Element":
                if tree.namespace is not None:
                    raise _Unsupported
                self.tag = tree.element  # None for *
                return
            if kind == "Class":
                self.classes.append(tree.class_name)
            elif kind == "Hash":
                self.ids.append(tree.id)
            elif kind == "Attrib" and tree.operator == "=" and tree.namespace is None:
                value = tree.value
                self.attribs.append((tree.attrib, value.value if value is not None else ""))
            else:
                raise _Unsupported
            tree = tree.selector

    def matches(self, el: Element, classes: frozenset[str]) -> bool:
        if self.tag is not None and el.tag != self.tag:
            return False
        if any(c not in classes for c in self.classes):
            return False
        if any(el.get("id") != i for i in self.ids):
            return False
        return all(el.get(name) == value for name, value in self.attribs)


class _Selector:
    """One selector of a list: compounds joined by combinators, rightmost last."""

    def __init__(self, parsed: cssselect.Selector) -> None:
        if parsed.pseudo_element is not None:
            raise _Unsupported
        self.steps: list[tuple[str, _Compound]] = []  # (combinator to the left, compound)
        tree = parsed.parsed_tree
        while type(tree).__name__ == "CombinedSelector":
            if tree.combinator not in (" ", ">"):
                raise _Unsupported
            self.steps.append((tree.combinator, _Compound(tree.subselector)))
            tree = tree.selector
        self.steps.append(("", _Compound(tree)))
        self.steps.reverse()  # leftmost first; each step's combinator joins it to the one before


@cache
def _parse(css: str) -> tuple[_Selector, ...] | None:
    """*css* as index-answerable selectors, or ``None`` when some part needs XPath."""
    try:
        return tuple(_Selector(s) for s in cssselect.parse(css))
    except (_Unsupported, cssselect.SelectorError):
        return None


class PageIndex:
    """The elements of one page (*root* and its descendants) by tag, id and class.

    Valid while the tree is unchanged: after removing elements, select on the tree with XPath
    (``postcrawl.extraction.select``) or build a new index."""

    def __init__(self, root: Element) -> None:
        self.root = root
        self._position: dict[Element, int] = {}
        self._classes: dict[Element, frozenset[str]] = {}
        self._by_tag: dict[str, list[Element]] = {}
        self._by_class: dict[str, list[Element]] = {}
        self._by_id: dict[str, list[Element]] = {}
        self._all: list[Element] = []
        for el in root.iter():
            tag = el.tag
            if not isinstance(tag, str):  # comments, processing instructions
                continue
            self._position[el] = len(self._all)
            self._all.append(el)
            self._by_tag.setdefault(tag, []).append(el)
            if (value := el.get("class")) is not None:
                classes = frozenset(value.translate(_XML_SPACE).split(" ")) - {""}
                self._classes[el] = classes
                for name in classes:
                    self._by_class.setdefault(name, []).append(el)
            if (ident := el.get("id")) is not None:
                self._by_id.setdefault(ident, []).append(el)

    def select(self, css: str, fallback: Callable[[Element, str], list[Element]]) -> list[Element]:
        """The elements matching *css*, in document order (``fallback(root, css)`` answers
        the forms the index does not)."""
        selectors = _parse(css)
        if selectors is None:
            return fallback(self.root, css)
        if len(selectors) == 1:
            return self._matching(selectors[0])
        found = {el for s in selectors for el in self._matching(s)}
        return sorted(found, key=self._position.__getitem__)

    def _candidates(self, compound: _Compound) -> list[Element]:
        if compound.ids:
            return self._by_id.get(compound.ids[0], [])
        if compound.classes:
            return self._by_class.get(compound.classes[0], [])
        if compound.tag is not None:
            return self._by_tag.get(compound.tag, [])
        return self._all

    def _test(self, compound: _Compound, el: Element) -> bool:
        return compound.matches(el, self._classes.get(el, frozenset()))

    def _matching(self, selector: _Selector) -> list[Element]:
        *left, (combinator, last) = selector.steps
        return [
            el
            for el in self._candidates(last)
            if self._test(last, el) and self._joined(left, combinator, el)
        ]

    def _joined(self, left: list[tuple[str, _Compound]], combinator: str, el: Element) -> bool:
        """Whether *el*'s ancestors satisfy the *left* steps through *combinator*."""
        if not left:
            return True
        *rest, (before, compound) = left
        if combinator == ">":
            parent = el.getparent()
            return (
                parent is not None
                and parent in self._position
                and self._test(compound, parent)
                and self._joined(rest, before, parent)
            )
        for ancestor in el.iterancestors():
            if ancestor not in self._position:  # above the indexed root
                return False
            if self._test(compound, ancestor) and self._joined(rest, before, ancestor):
                return True
        return False
