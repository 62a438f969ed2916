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

from typing import Any, Callable, Dict, List, Tuple

_INSTALLED = False


def _cached(original: Callable[[object], Dict[Any, Any]]) -> Callable[[object], Dict[Any, Any]]:
    cache: Dict[type, List[Tuple[Any, Tuple[str, ...]]]] = {}

    def gather(obj: object) -> Dict[Any, Any]:
        cls = type(obj)
        names = cache.get(cls)
        if names is None:
            result = original(obj)
            cache[cls] = [(matcher, tuple(f.__name__ for f in funcs)) for matcher, funcs in result.items()]
            return result
        return {matcher: tuple(getattr(obj, name) for name in funcs) for matcher, funcs in names}

    gather.__wrapped__ = original  # type: ignore[attr-defined]
    return gather


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


def _cached_matchers(original: Callable[[object], Dict[Any, Any]]) -> Callable[[object], Dict[Any, Any]]:
    cache: Dict[type, Tuple[Any, ...]] = {}

    def gather(obj: object) -> Dict[Any, Any]:
        matchers = cache.get(type(obj))
        if matchers is None:
            result = original(obj)
            cache[type(obj)] = tuple(result)
            return result
        return dict.fromkeys(matchers)  # every matcher not yet matched, as libcst starts them

    gather.__wrapped__ = original  # type: ignore[attr-defined]
    return gather


def _cached_visitors(original: Callable[[Any], Dict[str, Any]]) -> Callable[[Any], Dict[str, Any]]:
    cache: Dict[type, Tuple[str, ...]] = {}

    def get_visitors(self: Any) -> Dict[str, Any]:
        names = cache.get(type(self))
        if names is None:
            result = original(self)
            cache[type(self)] = tuple(result)
            return dict(result)
        return {name: getattr(self, name) for name in names}

    get_visitors.__wrapped__ = original  # type: ignore[attr-defined]
    return get_visitors


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
    for name, cached in (("_gather_constructed_visit_funcs", _cached), ("_gather_constructed_leave_funcs", _cached),
                         ("_gather_matchers", _cached_matchers)):
        original = getattr(_visitors, name, None)
        if callable(original) and not hasattr(original, "__wrapped__"):
            setattr(_visitors, name, cached(original))
    original = getattr(metadata_wrapper, "_gen_batchable", None)
    if callable(original) and not hasattr(original, "__wrapped__"):
        metadata_wrapper._gen_batchable = _skipping_empty(original)
    original = getattr(BatchableCSTVisitor, "get_visitors", None)
    if callable(original) and not hasattr(original, "__wrapped__"):
        BatchableCSTVisitor.get_visitors = _cached_visitors(original)  # type: ignore[method-assign]
    parenthesized = getattr(expression, "_BaseParenthesizedNode", None)
    if parenthesized is not None and callable(getattr(parenthesized, "_parenthesize", None)):
        parenthesized._parenthesize = _parenthesize
    _INSTALLED = True
