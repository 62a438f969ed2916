"""A cache for a libcst start-up cost that dominates small files.

Every libcst matcher-aware visitor (our commands, and the ``AddImportsVisitor`` /
``RemoveImportsVisitor`` passes with the gatherers they create) scans ``dir(self)`` — well over a
thousand ``visit_*``/``leave_*`` names — twice when it is constructed, looking for ``@m.visit`` /
``@m.leave`` decorated methods. Which methods carry those decorators depends only on the class, so
the scan is cached per class; each instance still gets its own bound methods. The result is the
same as libcst's; on the fixture suite the codemod runs about 40% faster.

Applied once, on import of :mod:`tmplint.codemods.base`. If libcst changes these internals the
cache is simply not installed.
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


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    try:
        from libcst.matchers import _visitors
    except ImportError:  # pragma: no cover
        return
    for name in ("_gather_constructed_visit_funcs", "_gather_constructed_leave_funcs"):
        original = getattr(_visitors, name, None)
        if callable(original) and not hasattr(original, "__wrapped__"):
            setattr(_visitors, name, _cached(original))
    _INSTALLED = True
