"""Small constructors for the nodes the rewrites emit.

Every call returns fresh nodes: a node object must never appear twice in a tree, or the scope
analysis of the import passes that run afterwards sees one binding in two places.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple, Union

import libcst as cst


def name(value: str) -> cst.Name:
    return cst.Name(value)


def dotted(value: str) -> cst.BaseExpression:
    """``a.b.c`` as an Attribute chain."""
    parts = value.split(".")
    node: cst.BaseExpression = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def string(value: str, avoid: str = "") -> cst.SimpleString:
    """A str literal, double-quoted unless ``avoid`` holds ``"`` (the quote of an enclosing
    f-string, which an expression inside it may not use before Python 3.12): then single-quoted.
    The values we emit never need escapes beyond repr's."""
    quote = "'" if '"' in avoid else '"'
    if quote in avoid:  # pragma: no cover - an f-string has one quote character
        quote = '"'
    body = repr(value)[1:-1]
    if repr(value).startswith('"'):  # repr chose " because value holds '
        body = body.replace('\\"', '"')
    body = body.replace("\\'", "'")
    body = body.replace(quote, "\\" + quote)
    return cst.SimpleString(quote + body + quote)


def enclosing_quote(ancestors: Sequence[cst.CSTNode]) -> str:
    """The quote character of the innermost f-string among ``ancestors`` (nearest first), or ""."""
    for node in ancestors:
        if isinstance(node, cst.FormattedString):
            return node.quote[0]
    return ""


def fit_quotes(expr: cst.BaseExpression, avoid: str) -> cst.BaseExpression:
    """``expr`` with every plain string literal in it that is quoted with a character in ``avoid``
    re-quoted with the other one (what may stand inside an f-string quoted with ``avoid`` before
    Python 3.12). Literals whose value would then need a backslash are left as they are."""
    if not avoid:
        return expr

    class Requote(cst.CSTTransformer):
        def leave_SimpleString(self, original_node: cst.SimpleString,
                               updated_node: cst.SimpleString) -> cst.SimpleString:
            if updated_node.quote[0] not in avoid or updated_node.prefix.lower() not in ("", "u"):
                return updated_node
            value = updated_node.evaluated_value
            if not isinstance(value, str) or "\\" in value or "\n" in value or any(q in value for q in "'\""):
                return updated_node
            return string(value, avoid).with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)

    return expr.visit(Requote())  # type: ignore[return-value]


def clean(expr: cst.BaseExpression) -> cst.BaseExpression:
    """An argument's expression, detached from its old position: a deep copy, so that the original
    node is not shared between two trees."""
    return expr.deep_clone()


def call(
    func: Union[str, cst.BaseExpression],
    args: Sequence[cst.BaseExpression] = (),
    keywords: Sequence[Tuple[str, cst.BaseExpression]] = (),
) -> cst.Call:
    func_node = dotted(func) if isinstance(func, str) else func
    arg_nodes: List[cst.Arg] = [cst.Arg(value=a) for a in args]
    arg_nodes += [cst.Arg(keyword=cst.Name(k), value=v, equal=tight_equal()) for k, v in keywords]
    return cst.Call(func=func_node, args=arg_nodes)


def tight_equal() -> cst.AssignEqual:
    return cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def assign(target: Union[str, cst.BaseAssignTargetExpression], value: cst.BaseExpression,
           trailing: Optional[cst.TrailingWhitespace] = None,
           leading: Sequence[cst.EmptyLine] = ()) -> cst.SimpleStatementLine:
    target_node = cst.Name(target) if isinstance(target, str) else target
    line = cst.SimpleStatementLine(
        body=[cst.Assign(targets=[cst.AssignTarget(target=target_node)], value=value)],
        leading_lines=list(leading),
    )
    if trailing is not None:
        line = line.with_changes(trailing_whitespace=trailing)
    return line


def expression_statement(expr: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=[cst.Expr(value=expr)])


def try_finally(body: Sequence[cst.BaseStatement], final: Sequence[cst.BaseStatement],
                leading: Sequence[cst.EmptyLine] = (), final_leading: Sequence[cst.EmptyLine] = ()) -> cst.Try:
    return cst.Try(
        body=cst.IndentedBlock(body=list(body) or [cst.SimpleStatementLine(body=[cst.Pass()])]),
        finalbody=cst.Finally(body=cst.IndentedBlock(body=list(final)), leading_lines=list(final_leading)),
        leading_lines=list(leading),
    )


def as_statements(body: cst.BaseSuite) -> List[cst.BaseStatement]:
    """A compound statement's body as a list of statements (a one-line suite becomes a line)."""
    if isinstance(body, cst.IndentedBlock):
        return list(body.body)
    if not isinstance(body, cst.SimpleStatementSuite):  # pragma: no cover
        raise TypeError(f"not a suite: {type(body).__name__}")
    return [cst.SimpleStatementLine(body=list(body.body), trailing_whitespace=body.trailing_whitespace)]


def needs_parentheses_in_or(expr: cst.BaseExpression) -> bool:
    """Whether ``x or EXPR`` would parse differently without parentheses around EXPR."""
    if expr.lpar:
        return False
    return isinstance(expr, (cst.IfExp, cst.Lambda, cst.NamedExpr, cst.Yield, cst.Await)) and not isinstance(
        expr, cst.Await
    )


def parenthesize(expr: cst.BaseExpression) -> cst.BaseExpression:
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def line_break(extra: str) -> cst.ParenthesizedWhitespace:
    """A line break inside brackets, then the block's indentation plus ``extra``."""
    return cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), indent=True,
                                       last_line=cst.SimpleWhitespace(extra))


def fit_call(call: cst.Call, used: int, line_length: int) -> cst.Call:
    """``call`` as it is when it fits in ``line_length`` after ``used`` columns of its line (the
    code before and after it), else one argument per line with a trailing comma and the ``)``
    on its own line, as black and ruff format lay it out."""
    if len(call.args) < 2 or used + len(cst.Module([]).code_for_node(call)) <= line_length:
        return call
    args = [arg.with_changes(comma=cst.Comma(whitespace_after=line_break("    " if i < len(call.args) - 1 else "")))
            for i, arg in enumerate(call.args)]
    return call.with_changes(args=args, whitespace_before_args=line_break("    "))


def add_keyword(call: cst.Call, keyword: str, value: cst.BaseExpression) -> cst.Call:
    """``call`` with ``keyword=value`` appended, keeping a trailing comma and line layout."""
    args = list(call.args)
    new = cst.Arg(keyword=cst.Name(keyword), value=value, equal=tight_equal())
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    if isinstance(last.comma, cst.Comma):  # one argument per line, trailing comma: keep the layout
        new = new.with_changes(comma=last.comma)
        args[-1] = last.with_changes(comma=args[-2].comma if len(args) > 1 and isinstance(args[-2].comma, cst.Comma)
                                     else cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    else:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return call.with_changes(args=[*args, new])
