"""Two libcst costs that are pure overhead, removed with the same results.

Resolving metadata walks the whole module once for the batchable providers of each round, even
when a round has none (every resolve of a plain provider such as the positions or the parents):
a walk that computes nothing, skipped here. And printing an expression enters a generator-based
``@contextmanager`` (its parentheses around it), the largest single cost of printing a module
with positions: here a plain context-manager object that does the same.

And caches for libcst start-up costs that dominate small files:

Every libcst matcher-aware visitor (our commands, and the ``AddImportsVisitor`` /
``RemoveImportsVisitor`` passes with the gatherers they create) scans ``dir(self)`` — well over a
thousand ``visit_*``/``leave_*`` names — twice when it is constructed, looking for ``@m.visit`` /
``@m.leave`` decorated methods, and a third time when it first visits a node, for the matchers of
``@m.call_if_inside``/``@m.call_if_not_inside``. Which methods carry those decorators depends only
on the class, so the scans are cached per class; each instance still gets its own bound methods
and its own matcher states. The result is the same as libcst's; on the fixture suite the codemod
runs about 40% faster. Likewise a batched metadata walk (the scopes of the imports the removal
pass checks) asks each provider for its ``visit_*``/``leave_*`` methods through
``inspect.getmembers``, which is cached per class too.

Applied once, on import of :mod:`tmplint.codemods.base`. If libcst changes these internals they
are simply not installed.
"""
from __future__ import annotations

from typing import Any, Callable, Dict

_INSTALLED = False


def _per_class(original: Callable[[Any], Dict[Any, Any]], keep: Callable[[Dict[Any, Any]], Any],
               rebuild: Callable[[Any, Any], Dict[Any, Any]]) -> Callable[[Any], Dict[Any, Any]]:
    """``original(obj)``, a scan whose outcome depends only on ``obj``'s class: scanned once per
    class, what ``keep`` takes of the outcome is cached, and ``rebuild(obj, kept)`` makes the
    outcome for another object of the class (its own bound methods)."""
    cache: Dict[type, Any] = {}

    def cached(obj: Any) -> Dict[Any, Any]:
        kept = cache.get(type(obj))
        if kept is None:
            result = original(obj)
            cache[type(obj)] = keep(result)
            return result
        return rebuild(obj, kept)

    cached.__wrapped__ = original  # type: ignore[attr-defined]
    return cached


def _decorated_methods(original: Callable[[Any], Dict[Any, Any]]) -> Callable[[Any], Dict[Any, Any]]:
    """A matcher-aware visitor's ``@m.visit``/``@m.leave`` methods, by matcher."""
    return _per_class(original, lambda found: [(matcher, tuple(f.__name__ for f in funcs))
                                               for matcher, funcs in found.items()],
                      lambda obj, kept: {matcher: tuple(getattr(obj, name) for name in names)
                                         for matcher, names in kept})


def _matchers(original: Callable[[Any], Dict[Any, Any]]) -> Callable[[Any], Dict[Any, Any]]:
    """The matchers of a visitor's ``@m.call_if_inside``/``@m.call_if_not_inside`` methods: each
    not yet matched, as libcst starts them."""
    return _per_class(original, tuple, lambda obj, kept: dict.fromkeys(kept))


def _visitor_methods(original: Callable[[Any], Dict[Any, Any]]) -> Callable[[Any], Dict[Any, Any]]:
    """A batched metadata provider's ``visit_*``/``leave_*`` methods, by name."""
    return _per_class(original, tuple, lambda obj, kept: {name: getattr(obj, name) for name in kept})


class _Parenthesized:
    """``_BaseParenthesizedNode._parenthesize(state)``: the node's left parentheses, its syntactic
    position recorded around its code, its right parentheses."""

    __slots__ = ("node", "state", "record")

    def __init__(self, node: Any, state: Any) -> None:
        self.node, self.state = node, state

    def __enter__(self) -> None:
        for lpar in self.node.lpar:
            lpar._codegen(self.state)
        self.record = self.state.record_syntactic_position(self.node)
        self.record.__enter__()

    def __exit__(self, *exc_info: Any) -> None:
        self.record.__exit__(*exc_info)
        if exc_info[0] is None:
            for rpar in self.node.rpar:
                rpar._codegen(self.state)


def _parenthesize(node: Any, state: Any) -> _Parenthesized:
    return _Parenthesized(node, state)


def _skipping_empty(original: Callable[..., Dict[Any, Any]]) -> Callable[..., Dict[Any, Any]]:
    def gen_batchable(wrapper: object, providers: Any) -> Dict[Any, Any]:
        providers = list(providers)
        return original(wrapper, providers) if providers else {}

    gen_batchable.__wrapped__ = original  # type: ignore[attr-defined]
    return gen_batchable


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    try:
        from libcst.matchers import _visitors
        from libcst._nodes import expression
        from libcst.metadata import wrapper as metadata_wrapper
        from libcst._batched_visitor import BatchableCSTVisitor
    except ImportError:  # pragma: no cover
        return
    for name, cached in (("_gather_constructed_visit_funcs", _decorated_methods),
                         ("_gather_constructed_leave_funcs", _decorated_methods), ("_gather_matchers", _matchers)):
        original = getattr(_visitors, name, None)
        if callable(original) and not hasattr(original, "__wrapped__"):
            setattr(_visitors, name, cached(original))
    original = getattr(metadata_wrapper, "_gen_batchable", None)
    if callable(original) and not hasattr(original, "__wrapped__"):
        metadata_wrapper._gen_batchable = _skipping_empty(original)
    original = getattr(BatchableCSTVisitor, "get_visitors", None)
    if callable(original) and not hasattr(original, "__wrapped__"):
        BatchableCSTVisitor.get_visitors = _visitor_methods(original)  # type: ignore[method-assign]
    parenthesized = getattr(expression, "_BaseParenthesizedNode", None)
    if parenthesized is not None and callable(getattr(parenthesized, "_parenthesize", None)):
        parenthesized._parenthesize = _parenthesize
    _INSTALLED = True
