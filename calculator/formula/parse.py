"""Formulas, quantities and units, parsed by a whitelist grammar.

Nothing here calls `eval`, `exec` or sympy on the text: a tokenizer and a
recursive-descent parser build the project's own tree (:mod:`calculator.expr`),
and anything the grammar does not name is refused with its position.

Grammar (EBNF)::

    formula   = expr [ "->" unit ] ;
    input     = expr [ "to" expr ] ;                (* A to B: a 90% interval *)
    expr      = term { ("+" | "-") term } ;
    term      = unary { ("*" | "/") unary } ;
    unary     = ("-" | "+") unary | power ;
    power     = atom [ ("**" | "^") unary ] ;       (* right-associative *)
    atom      = number [ unit ]                     (* 730 hour, 4 byte/image *)
              | NAME "(" expr { "," expr } ")"      (* whitelisted functions *)
              | NAME [ "." NAME ]                   (* value, unit, catalog field *)
              | "(" expr ")" ;
    unit      = ufactor { ("*" | "/") ufactor } ;
    ufactor   = NAME [ ("**" | "^") ["-"] NUMBER ] | "(" unit ")" | "%" ;
    number    = DIGITS [ "." DIGITS ] [ EXPONENT ] [ "%" | "k" | "K" | "M" | "B" | "T" ] ;

A unit after a number stops before a name that is a scenario value, so
`2 user / dau` divides by the value `dau`. A word attached to a number is a
unit (`80GB`, `5ms`); a single attached k, K, M, B or T is a multiplier.

Unit names may hold µ (U+00B5) and μ (U+03BC): `5 µs`. Inside a unit, words joined by
hyphens with no spaces are one unit name (`PF-day`, `GPU-hour`), unless a word after a
hyphen is a scenario value: `2 hour-setup` subtracts the value `setup`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import NamedTuple

from calculator.common.errors import FormulaSyntaxError, GrammarError, Location
from calculator.common.records import record
from calculator.formula.expr import (
    FUNCTIONS,
    Binary,
    Call,
    Expr,
    Field,
    Formula,
    Name,
    Number,
    Quantity,
    Unary,
    UnitExpr,
    UnitFactor,
)

MAX_FORMULA_LENGTH = 2_000
MAX_NESTING = 40
"""Parentheses, signs, powers and calls inside one another (the parser's own recursion)."""
MAX_DEPTH = 100
"""Levels of a formula's tree, every operator counting: `a*a*…*a` with 101 factors is too deep. Every
walk of a tree (check, compile, interpret, symbolic, explain) may recurse this deep, well inside
Python's recursion limit."""
MULTIPLIERS = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
# Multiplier letters that pint reads as physics when detached (`100 M user`); B is a byte, K a kelvin.
DETACHED_MULTIPLIERS = {"k": "Boltzmann's constant", "M": "molar", "T": "tesla"}

_NUMBER = re.compile(r"(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_µμ][A-Za-z0-9_µμ]*")
_REFUSED = {
    "'": "strings are not part of a formula",
    '"': "strings are not part of a formula",
    "[": "indexing is not part of a formula",
    "]": "indexing is not part of a formula",
    "=": "keyword arguments and assignments are not part of a formula",
    ":": "lambdas, slices and mappings are not part of a formula",
    "{": "mappings are not part of a formula",
    "@": "decorators and matrix products are not part of a formula",
    "\\": "line continuations are not part of a formula",
}


class Token(NamedTuple):
    """A named tuple, not a record: a formula has about ten, built once each (four times as fast)."""

    kind: str  # "number", "name", "op", "end"
    text: str
    offset: int
    value: float = 0.0


# The operators, as sets. Only an operator token's text is ever one of these (a name, a number and the end
# never are), so the parser tests a token's text alone.
_SIGNS = _ADDITIVE = frozenset(("+", "-"))
_MULTIPLICATIVE = frozenset(("*", "/"))
_POWER = frozenset(("**", "^"))
_CALL_OR_FIELD = frozenset(("(", "."))


# A number takes its `%` or a multiplier letter standing alone (`5%`, `80M`; not the `M` of `5MB`) in the
# same match; any other word attached to it is a name token of its own (a unit: `80GB`, `5ms`).
_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>(?P<digits>" + _NUMBER.pattern + r")(?P<suffix>%|[kKMBT](?![A-Za-z0-9_µμ]))?)"
    r"|(?P<name>" + _NAME.pattern + ")"
    r"|(?P<op>->|\*\*|[-+*/^(),.%])"
)
_INFINITY = float("inf")
_token = functools.partial(tuple.__new__, Token)  # a Token from its four fields, with no Python frame


def tokenize(text: str, location: Location) -> tuple[Token, ...]:
    """Split `text` into tokens; refuse any character the grammar has no use for."""
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaSyntaxError(f"formula is {len(text):,} characters long; the limit is {MAX_FORMULA_LENGTH:,}", location)
    tokens = _scan(text)
    if isinstance(tokens, int):
        char = text[tokens]
        refused = GrammarError if char in _REFUSED else FormulaSyntaxError
        raise refused(_REFUSED.get(char, f"unexpected character {char!r}"), location.shifted(tokens))
    return tokens


# An LRU smaller than a file's formulas never hits on a reload (4,096 missed every one of a
# 10,000-formula file's); 16,384 holds the largest files written, a few MB of tokens at most.
@functools.lru_cache(maxsize=16_384)
def _scan(text: str) -> tuple[Token, ...] | int:
    """The tokens of `text` (offsets into it, nothing about where it is written: the same text tokenizes
    the same anywhere, so the language server's re-evaluations reuse them), or the index of a refused character."""
    tokens: list[Token] = []
    at = 0
    for match in _TOKEN.finditer(text):
        start = match.start()
        if start != at:  # finditer skipped a character no token begins with
            return at
        at = match.end()
        kind = match.lastgroup
        if kind == "number":
            digits, suffix = match.group("digits", "suffix")
            value = float(digits.replace("_", ""))
            if suffix:
                value = value / 100 if suffix == "%" else value * MULTIPLIERS[suffix]
            tokens.append(_token(("number", match.group(), start, value)))
        elif kind != "space":
            tokens.append(_token((kind, match.group(), start, 0.0)))
    if at != len(text):
        return at
    tokens.append(Token("end", "", len(text)))
    return tuple(tokens)


class Parser:
    """One formula's tokens, consumed left to right."""

    def __init__(self, text: str, location: Location, is_value: Callable[[str], bool]):
        self.text = text
        self.location = location
        self.is_value = is_value
        self.tokens = tokenize(text, location)
        self.position = 0
        self.depth = 0
        self.names: list[Name | Field] = []  # as the parser meets them: left to right

    # -- token helpers -------------------------------------------------------------
    @property
    def token(self) -> Token:
        return self.tokens[self.position]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.position + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.token
        self.position += 1
        return token

    def at_op(self, *ops: str) -> bool:
        return self.tokens[self.position].text in ops

    def expect_op(self, op: str) -> Token:
        if not self.at_op(op):
            raise self.error(f"expected '{op}' here, found {self.describe(self.token)}")
        return self.advance()

    def error(
        self,
        message: str,
        token: Token | None = None,
        hint: str | None = None,
        kind: type[FormulaSyntaxError] = FormulaSyntaxError,
    ) -> FormulaSyntaxError:
        at = token or self.token
        return kind(message, self.location.shifted(at.offset, at.offset + max(1, len(at.text))), hint)

    @staticmethod
    def describe(token: Token) -> str:
        return "the end of the formula" if token.kind == "end" else f"'{token.text}'"

    def expect_end(self) -> None:
        if self.token.kind != "end":
            raise self.error(f"unexpected {self.describe(self.token)} after a complete formula")

    def bounded(self, expr: Expr) -> Expr:
        """`expr`, if its tree is at most MAX_DEPTH levels deep (measured without recursion)."""
        if len(self.tokens) <= MAX_DEPTH + 1:
            return expr  # each node holds a token of its own, and the end token none: too few to be too deep
        pending: list[tuple[Expr, int]] = [(expr, 1)]
        while pending:
            node, depth = pending.pop()
            if depth > MAX_DEPTH:
                raise FormulaSyntaxError(
                    f"formula is more than {MAX_DEPTH} operations deep",
                    self.location.shifted(node.offset),
                    hint="split it into derived values that build on each other",
                )
            if isinstance(node, Binary):
                pending += [(node.left, depth + 1), (node.right, depth + 1)]
            elif isinstance(node, Unary):
                pending.append((node.operand, depth + 1))
            elif isinstance(node, Call):
                pending += [(arg, depth + 1) for arg in node.args]
        return expr

    # -- expressions -------------------------------------------------------------
    # The hot path of a load: every formula of a scenario goes through these on each run, so they read
    # tokens by index rather than through `token`/`advance`, and keep the nesting count by hand (an error
    # ends the parse: nothing reads the count after one) rather than with a context manager.
    def deeper(self, token: Token) -> None:
        """One level deeper into the formula; refused past MAX_NESTING so no input can exhaust the stack."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"formula nests deeper than {MAX_NESTING} levels", token)

    def expr(self) -> Expr:
        tokens = self.tokens
        self.deeper(tokens[self.position])
        node = self.term()
        while (op := tokens[self.position]).text in _ADDITIVE:
            self.position += 1
            node = Binary(op.text, node, self.term(), op.offset)
        self.depth -= 1
        return node

    def term(self) -> Expr:
        tokens = self.tokens
        node = self.unary()
        while (op := tokens[self.position]).text in _MULTIPLICATIVE:
            self.position += 1
            node = Binary(op.text, node, self.unary(), op.offset)
        return node

    def unary(self) -> Expr:
        """A sign and what it applies to, or a power: `atom [("**" | "^") unary]`."""
        op = self.tokens[self.position]
        if op.text in _SIGNS:
            operand = self.unary_after(op)
            return Unary("-", operand, op.offset) if op.text == "-" else operand
        base = self.atom()
        op = self.tokens[self.position]
        if op.text in _POWER:
            return Binary("**", base, self.unary_after(op), op.offset)
        return base

    def unary_after(self, op: Token) -> Expr:
        """The operand of a sign or the exponent of a power: past `op`, one level deeper."""
        self.position += 1
        self.deeper(op)
        operand = self.unary()
        self.depth -= 1
        return operand

    def atom(self) -> Expr:
        token = self.tokens[self.position]
        if token.kind == "number":
            if token.value == _INFINITY:  # a number past a float's range is a slip, never meant as infinity
                raise FormulaSyntaxError(
                    f"the number {token.text} is too large for a float (the largest is about 1.8e308)",
                    self.location.shifted(token.offset, token.offset + len(token.text)),
                )
            self.position += 1
            unit = self.unit_after_number()
            if unit:
                return Quantity(token.value, unit, token.offset, token.text)
            return Number(token.value, token.offset, token.text)
        if token.kind == "name":
            return self.named()
        if token.text == "(":
            self.position += 1
            node = self.expr()
            self.expect_op(")")
            return node
        raise self.error(f"expected a number, a name or '(' here, found {self.describe(token)}")

    def named(self) -> Expr:
        token = self.tokens[self.position]
        self.position += 1
        follows = self.tokens[self.position].text
        if follows == "(":
            return self.call(token)
        if follows == ".":
            self.advance()
            field = self.token
            if field.kind != "name":
                raise self.error(f"expected a field name after '{token.text}.', found {self.describe(field)}")
            self.advance()
            if self.at_op(".", "("):
                raise self.error(
                    "only catalog fields like 'gpu.memory' may follow a '.'; no attribute chains or method calls",
                    kind=GrammarError,
                )
            found: Name | Field = Field(token.text, field.text, token.offset)
        else:
            found = Name(token.text, token.offset)
        self.names.append(found)
        return found

    def call(self, name: Token) -> Expr:
        if name.text not in FUNCTIONS:
            raise self.error(
                f"'{name.text}' is not a function envelope knows",
                name,
                hint="the functions are " + ", ".join(FUNCTIONS),
                kind=GrammarError,
            )
        self.expect_op("(")
        args = [self.expr()]
        while self.at_op(","):
            self.advance()
            args.append(self.expr())
        self.expect_op(")")
        return Call(name.text, tuple(args), name.offset)

    # -- units ---------------------------------------------------------------------
    def starts_unit(self) -> bool:
        token = self.tokens[self.position]
        if token.text == "%":
            return True
        if token.kind != "name" or token.text == "to" or self.is_value(token.text):
            return False
        return self.peek().text not in _CALL_OR_FIELD

    def unit_after_number(self) -> UnitExpr:
        """The unit that follows a number, if any: `hour` in `730 hour`."""
        if not self.starts_unit():
            return ()
        if self.token.text in DETACHED_MULTIPLIERS:
            raise self.detached_multiplier()
        factors = list(self.unit_factor(1))
        while self.at_op("*", "/") and self._unit_continues():
            sign = 1 if self.advance().text == "*" else -1
            factors += self.unit_factor(sign)
        return tuple(factors)

    def detached_multiplier(self) -> FormulaSyntaxError:
        """`100 M user`: pint would read M as molar; the user meant 100M."""
        letter = self.token
        number = self.tokens[self.position - 1]
        rest = self.text[letter.offset + 1 :].strip()
        return self.error(
            f"'{letter.text}' alone is not a unit here (pint reads it as {DETACHED_MULTIPLIERS[letter.text]})",
            letter,
            hint=f"did you mean {number.text}{letter.text}{' ' + rest if rest else ''}?",
            kind=GrammarError,
        )

    def _unit_continues(self) -> bool:
        nxt = self.peek()
        if nxt.kind == "op":
            return nxt.text == "%"
        if nxt.kind != "name" or nxt.text == "to" or self.is_value(nxt.text):
            return False
        return self.peek(2).text not in _CALL_OR_FIELD

    def unit(self) -> UnitExpr:
        """A whole unit expression: `USD/hour/gpu`, `request/(user*day)`."""
        factors = list(self.unit_factor(1))
        while self.at_op("*", "/"):
            sign = 1 if self.advance().text == "*" else -1
            factors += self.unit_factor(sign)
        return tuple(factors)

    def unit_factor(self, sign: int) -> list[UnitFactor]:
        token = self.token
        if token.text == "(":
            self.advance()
            self.deeper(token)
            inner = self.unit()
            self.depth -= 1
            self.expect_op(")")
            power = self.unit_power()
            return [UnitFactor(f.name, f.power * power * sign, f.offset) for f in inner]
        if self.at_op("%"):
            self.advance()
            return [UnitFactor("percent", sign, token.offset)]
        if token.kind == "number":
            raise self.error("a unit cannot hold a number; write the number in the formula", token)
        if token.kind != "name":
            raise self.error(f"expected a unit name here, found {self.describe(token)}")
        self.advance()
        name = token.text
        while self._hyphen_joins(token.offset + len(name)):
            self.advance()
            name += "-" + self.advance().text
        return [UnitFactor(name, self.unit_power() * sign, token.offset)]

    def _hyphen_joins(self, end: int) -> bool:
        """Whether a `-` right at `end` and a word right after it continue one unit name (`PF-day`)."""
        hyphen, word = self.token, self.peek()
        return (
            hyphen.kind == "op"
            and hyphen.text == "-"
            and hyphen.offset == end
            and word.kind == "name"
            and word.offset == end + 1
            and not self.is_value(word.text)
            and self.peek(2).text not in _CALL_OR_FIELD
        )

    def unit_power(self) -> float:
        if not self.at_op("**", "^"):
            return 1.0
        self.advance()
        negative = self.at_op("-")
        if negative:
            self.advance()
        token = self.token
        if token.kind != "number" or not float(token.value).is_integer() or abs(token.value) > 12:
            raise self.error("a unit's power must be a whole number from -12 to 12", token)
        self.advance()
        return -token.value if negative else token.value


def _never(_: str) -> bool:
    return False


def parse_formula(text: str, location: Location, is_value: Callable[[str], bool] = _never) -> Formula:
    """Parse `expr [-> unit]`; `is_value` tells scenario names from units."""
    parser = Parser(text, location, is_value)
    if parser.token.kind == "end":
        raise parser.error("empty formula")
    expr = parser.bounded(parser.expr())
    display = None
    if parser.at_op("->"):
        parser.advance()
        display = parser.unit()
    parser.expect_end()
    return Formula(text, expr, display, tuple(parser.names))


def parse_unit(text: str, location: Location) -> UnitExpr:
    """Parse a unit on its own, as in `unit: USD/month`."""
    parser = Parser(text, location, _never)
    if parser.token.kind == "end":
        raise parser.error("empty unit")
    unit = parser.unit()
    parser.expect_end()
    return unit


@record
class Interval:
    """`A to B UNIT`: a 90% interval; `low` takes the unit of `high` if it has none."""

    low: Expr
    high: Expr


@record
class Distribution:
    """`normal(MEAN, SD)` or `uniform(LOW, HIGH)`, units inside."""

    kind: str
    args: tuple[Expr, Expr]
    offset: int


InputSpec = Expr | Interval | Distribution


def parse_input(text: str, location: Location) -> tuple[InputSpec, UnitExpr | None]:
    """An input's value: a constant quantity, `A to B UNIT`, or a distribution."""
    parser = Parser(text, location, _never)
    if parser.token.kind == "end":
        raise parser.error("empty value")
    token = parser.token
    if token.kind == "name" and token.text in ("normal", "uniform") and parser.peek().text == "(":
        parser.advance()
        parser.expect_op("(")
        first = parser.bounded(parser.expr())
        parser.expect_op(",")
        second = parser.bounded(parser.expr())
        parser.expect_op(")")
        spec: InputSpec = Distribution(token.text, (first, second), token.offset)
    else:
        low = parser.bounded(parser.expr())
        spec = low
        if parser.token.kind == "name" and parser.token.text == "to":
            parser.advance()
            spec = Interval(low, parser.bounded(parser.expr()))
    display = None
    if parser.at_op("->"):
        parser.advance()
        display = parser.unit()
    parser.expect_end()
    return spec, display
