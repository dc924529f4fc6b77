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


@record
class Token:
    kind: str  # "number", "name", "op", "end"
    text: str
    offset: int
    value: float = 0.0


_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<number>" + _NUMBER.pattern + r")|(?P<name>" + _NAME.pattern + ")"
    r"|(?P<op>->|\*\*|[-+*/^(),.%])"
)


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


@functools.lru_cache(maxsize=4096)
def _scan(text: str) -> tuple[Token, ...] | int:
    """The tokens of `text` (offsets into it, nothing about where it is written: the same text tokenizes
    the same anywhere, so the language server's re-evaluations reuse them), or the index of a refused character."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        match = _TOKEN.match(text, i)
        if match is None:
            return i
        kind = match.lastgroup
        if kind == "number":
            i = _number_tokens(text, match, tokens)
            continue
        if kind != "space":
            tokens.append(Token(str(kind), match.group(), i))
        i = match.end()
    tokens.append(Token("end", "", len(text)))
    return tuple(tokens)


def _number_tokens(text: str, match: re.Match[str], tokens: list[Token]) -> int:
    """Append a number (with its `%` or multiplier letter) and any attached unit word."""
    start, end = match.start(), match.end()
    value = float(match.group().replace("_", ""))
    rest = _NAME.match(text, end)
    if end < len(text) and text[end] == "%":
        tokens.append(Token("number", text[start : end + 1], start, value / 100))
        return end + 1
    if rest and rest.group() in MULTIPLIERS:
        tokens.append(Token("number", rest.string[start : rest.end()], start, value * MULTIPLIERS[rest.group()]))
        return rest.end()
    tokens.append(Token("number", match.group(), start, value))
    return end


class Parser:
    """One formula's tokens, consumed left to right."""

    def __init__(self, text: str, location: Location, is_value: Callable[[str], bool]):
        self.text = text
        self.location = location
        self.is_value = is_value
        self.tokens = tokenize(text, location)
        self.position = 0
        self.depth = 0

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
        token = self.tokens[self.position]
        return token.kind == "op" and token.text in ops

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
    def nested(self, token: Token) -> Parser:
        """One level deeper into the formula (`with self.nested(token):`); refused past MAX_NESTING so no
        input can exhaust the stack. The parser is its own context manager (not a generator one, which
        costs more: it runs for every sub-expression of every formula; nor a helper object holding the
        parser, which would make a reference cycle, i.e. work for the garbage collector, per formula)."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"formula nests deeper than {MAX_NESTING} levels", token)
        return self

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exception: object) -> None:
        self.depth -= 1

    def expr(self) -> Expr:
        with self.nested(self.token):
            node = self.term()
            while self.at_op("+", "-"):
                op = self.advance()
                node = Binary(op.text, node, self.term(), op.offset)
            return node

    def term(self) -> Expr:
        node = self.unary()
        while self.at_op("*", "/"):
            op = self.advance()
            node = Binary(op.text, node, self.unary(), op.offset)
        return node

    def unary(self) -> Expr:
        if self.at_op("-", "+"):
            op = self.advance()
            with self.nested(op):
                operand = self.unary()
            return Unary("-", operand, op.offset) if op.text == "-" else operand
        return self.power()

    def power(self) -> Expr:
        base = self.atom()
        if self.at_op("**", "^"):
            op = self.advance()
            with self.nested(op):
                exponent = self.unary()
            return Binary("**", base, exponent, op.offset)
        return base

    def atom(self) -> Expr:
        token = self.token
        if token.kind == "number":
            self.advance()
            unit = self.unit_after_number()
            if unit:
                return Quantity(token.value, unit, token.offset, token.text)
            return Number(token.value, token.offset, token.text)
        if token.kind == "name":
            return self.named()
        if self.at_op("("):
            self.advance()
            node = self.expr()
            self.expect_op(")")
            return node
        raise self.error(f"expected a number, a name or '(' here, found {self.describe(token)}")

    def named(self) -> Expr:
        token = self.advance()
        if self.at_op("("):
            return self.call(token)
        if self.at_op("."):
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
            return Field(token.text, field.text, token.offset)
        return Name(token.text, token.offset)

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
        token = self.token
        if self.at_op("%"):
            return True
        if token.kind != "name" or token.text == "to" or self.is_value(token.text):
            return False
        return not (self.peek().kind == "op" and self.peek().text in ("(", "."))

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
        after = self.peek(2)
        return not (after.kind == "op" and after.text in ("(", "."))

    def unit(self) -> UnitExpr:
        """A whole unit expression: `USD/hour/gpu`, `request/(user*day)`."""
        factors = list(self.unit_factor(1))
        while self.at_op("*", "/"):
            sign = 1 if self.advance().text == "*" else -1
            factors += self.unit_factor(sign)
        return tuple(factors)

    def unit_factor(self, sign: int) -> list[UnitFactor]:
        token = self.token
        if self.at_op("("):
            self.advance()
            with self.nested(token):
                inner = self.unit()
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
            and not (self.peek(2).kind == "op" and self.peek(2).text in ("(", "."))
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
    return Formula(text, expr, display)


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
