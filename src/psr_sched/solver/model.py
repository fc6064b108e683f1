"""The CP-SAT model: variables, then one function per constraint family, then the objective.

The model can be built for all requests or for a neighbourhood: requests outside ``free``
are fixed at their current place (or fixed unscheduled), which is how the large-neighbourhood
search re-optimizes a part of a schedule.

How it is built.  A week holds tens of thousands of options, each with a few variables and
constraints; made one ``CpModel`` call at a time, most of the build is spent crossing from
Python into C++.  So the builder works on plain integers (variable indices; a literal is
``index``, or ``~index`` for a negation, CP-SAT's own convention) and hands every variable and
constraint to a :class:`_Writer`.  With OR-Tools ≥ 9.15, whose model proto is a C++ message,
:class:`_TextWriter` writes protobuf text that OR-Tools parses in one call per field; with
older releases :class:`_ApiWriter` uses the ``CpModel`` methods.  Both number variables and
constraints in creation order and write linear constraints in the form ``CpModel.add`` gives
them on 9.15 (terms merged and sorted by variable, zero coefficients dropped, the constant
moved into the domain), so the model is the one the step-by-step API builds, entry for
entry.  ``IntVar`` handles are made once at the end for what :class:`ScheduleModel` exposes;
the objective terms are ordinary ``LinearExpr`` objects.

What the build costs.  On a week, parsing the text is about half of the build, and its time
grows with the number of fields (each sub-message, each field name) more than with the
text's length.  So the model is written with few fields per option: no names unless asked
for (``ModelBuilder(..., names=True)``), no field at its default value, and two exact
formulations that are smaller than a constraint or two per option: a request's start ranges
as two linear constraints (:meth:`ModelBuilder._start_range`) and a provider-day's idle
span as two intervals in its no-overlap (:meth:`ModelBuilder._idle_span`).  What is left per
option is its presence literal and its interval (two with a room turnover).  The Python side
formats the text of a request's options in one go and keeps what it collects flat (lists of
integers; no tuple kept per option, which would wake the garbage collector).
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

from ortools.sat.python import cp_model
from ortools.sat.python import cp_model_helper as _cmh

from psr_sched.domain import BeforeVisit, FollowUp, SameDaySequence, Weights
from psr_sched.problem import Problem
from psr_sched.solver.candidates import Candidates, Option
from psr_sched.solver.extract import preferred_spans
from psr_sched.solver.greedy import Placement

#: OR-Tools' linear expressions and literals (a Boolean variable or its negation); their
#: stub unions include numpy scalars, which arithmetic on them cannot be typed with.
LinearExpr = Any
Literal = Any

#: Builds a LinearExpr from a LinearExpressionProto in C++ (OR-Tools ≥ 9.15), without a
#: Python handle per term.
_REBUILD: Any = getattr(_cmh, "rebuild_from_linear_expression_proto", None)

_MIN = -(2**63)  # CP-SAT's unbounded domain ends
_MAX = 2**63 - 1

_POOL = operator.attrgetter("pool")  # an option's room pool

#: ``literal ⇒ lo <= var <= hi`` (:meth:`_Writer.in_range`).
_RANGE = "{enforcement_literal:%d linear{vars:%d coeffs:1 domain:[%d,%d]}}"
#: The two intervals of a provider-day's idle span (:meth:`_Writer.edges`): [lo, first) and
#: [last, hi).
_EDGES = (
    "{interval{start{offset:%d}end{vars:%d coeffs:1}"
    "size{vars:%d coeffs:1 offset:%d}}},"
    "{interval{start{vars:%d coeffs:1}end{offset:%d}"
    "size{vars:%d coeffs:-1 offset:%d}}}"
)


@dataclass(slots=True)
class RequestVars:
    """Variables of one request."""

    start: cp_model.IntVar
    unscheduled: cp_model.IntVar
    options: list[int]  # option indices in the model
    present: dict[int, Literal]  # option → presence literal
    min_start: int
    by_day: dict[int, list[int]] = field(default_factory=dict)  # day → options
    on_day: dict[int, Literal] = field(default_factory=dict)


@dataclass(slots=True)
class ScheduleModel:
    """A built model with handles to its variables and objective terms."""

    model: cp_model.CpModel
    requests: dict[int, RequestVars]
    terms: dict[str, LinearExpr]
    weighted: LinearExpr
    first_last: dict[tuple[int, int], tuple[cp_model.IntVar, cp_model.IntVar]]
    provider_day_options: dict[tuple[int, int], list[int]]
    time_ok: dict[int, cp_model.IntVar]
    kept: dict[int, cp_model.IntVar]
    #: Indices of the variables with a single value (constants, fixed starts): never hinted.
    #: None when unknown (then :func:`add_hint` reads each variable's domain).
    fixed_vars: frozenset[int] | None = None


# -- writing the proto ------------------------------------------------------------------------


def _ints(values: Iterable[int]) -> str:
    """``v0,v1,…``, the text of a repeated integer field between its brackets.  One ``%``
    format of the whole list: about twice as fast as joining ``str`` of each value, which
    counts on lists of tens of thousands (a provider-day's intervals, a request's start
    range)."""
    items = tuple(values)
    return ("%d," * (len(items) - 1) + "%d") % items if items else ""


def _canonical(
    terms: Iterable[tuple[int, int]], constant: int, lo: int, hi: int
) -> tuple[list[int], list[int], int, int]:
    """``lo <= Σ coeff·literal + constant <= hi`` as CpModel.add writes it: negations
    expanded (``~v`` is ``1 - v``), terms merged and sorted by variable, zeros dropped, the
    constant moved into the bounds (infinite bounds stay infinite)."""
    terms = list(terms)
    acc = dict(terms)
    if len(acc) != len(terms) or (terms and min(acc) < 0):  # negations or repeats
        acc = {}
        for lit, coeff in terms:
            if lit < 0:
                lit = ~lit
                constant += coeff
                coeff = -coeff
            acc[lit] = acc.get(lit, 0) + coeff
    variables = sorted(v for v, c in acc.items() if c)
    lo = lo if lo == _MIN else lo - constant
    hi = hi if hi == _MAX else hi - constant
    return variables, [acc[v] for v in variables], lo, hi


class _Writer:
    """Writes the variables and constraints of one model, in order, and numbers them as the
    ``CpModel`` API does.  Variables and literals are integers throughout.

    Two implementations: :class:`_TextWriter` (protobuf text, parsed by OR-Tools in one call)
    where the model's proto is OR-Tools' own C++ message (≥ 9.15), and :class:`_ApiWriter`
    (the ``CpModel`` methods) otherwise.  They write the same model.  Names are optional
    everywhere (``""``: none); the builder gives them only when asked to.
    """

    def __init__(self, model: cp_model.CpModel) -> None:
        self.model = model
        self.n_vars = 0
        self.constants: dict[int, int] = {}
        self.fixed: set[int] = set()  # variables with one value

    # variables
    def var(self, domain: list[int], name: str = "") -> int:
        """A variable over a flat, sorted list of disjoint intervals [lo0, hi0, lo1, ...]."""
        raise NotImplementedError

    def bool(self, name: str = "") -> int:
        raise NotImplementedError

    def bools(self, count: int, names: list[str] | None = None) -> int:
        """``count`` Boolean variables (named ``names``, if given); the index of the first."""
        first = self.n_vars
        for i in range(count):
            self.bool(names[i] if names is not None else "")
        return first

    def constant(self, value: int) -> int:
        """The model's constant ``value``: one shared variable per value, as
        ``CpModel.new_constant``."""
        raise NotImplementedError

    # constraints
    def linear(
        self,
        terms: Iterable[tuple[int, int]],
        constant: int,
        lo: int,
        hi: int,
        enforce: int | None = None,
    ) -> None:
        """``lo <= Σ coeff·literal + constant <= hi``, only if literal ``enforce``."""
        self.canonical(*_canonical(terms, constant, lo, hi), enforce)

    def canonical(
        self, variables: list[int], coeffs: list[int], lo: int, hi: int, enforce: int | None
    ) -> None:
        """A linear constraint already in :func:`_canonical` form."""
        raise NotImplementedError

    def enforced_bounds(
        self, variables: list[int], coeffs: list[int], bounds: list[tuple[int, int, int]]
    ) -> None:
        """``lo <= Σ coeffs·variables <= hi`` only if ``enforce``, for each
        ``(lo, hi, enforce)`` of ``bounds``: one expression (in :func:`_canonical` form)
        under several literals."""
        for lo, hi, enforce in bounds:
            self.canonical(variables, coeffs, lo, hi, enforce)

    def in_range(self, var: int, lo: int, hi: int, enforce: int) -> None:
        """``lo <= var <= hi`` only if ``enforce``."""
        self.canonical([var], [1], lo, hi, enforce)

    def in_domain(self, var: int, domain: list[int], enforce: int) -> None:
        """``var ∈ domain`` (flat intervals) only if ``enforce``."""
        raise NotImplementedError

    def sum_equals(self, lit: int, xs: list[int]) -> None:
        """``lit == Σ xs`` for Boolean variables ``xs`` in increasing order, all older than
        ``lit`` (the text writer relies on that order)."""
        self.linear([(lit, 1), *[(x, -1) for x in xs]], 0, 0, 0)

    def implication(self, a: int, b: int) -> None:
        raise NotImplementedError

    def exactly_one(self, literals: list[int]) -> None:
        raise NotImplementedError

    def interval(self, lit: int, var: int, offset: int, size: int, name: str = "") -> int:
        """Interval [var + offset, var + offset + size), present if ``lit``; its index."""
        raise NotImplementedError

    def visits(
        self,
        start: int,
        lits: list[int],
        rows: list[Option],
        turnover: dict[int, int],
        names: list[int] | None = None,
    ) -> tuple[list[int], list[int]]:
        """The intervals of a request's options, option by option: the visit
        [start, start + duration), present if ``lits[i]``, and for a room pool with a
        turnover ``t`` (``turnover`` holds the pools that have one) the room interval
        [start, start + duration + t).

        Returns each option's visit interval and its room interval (the visit's own when the
        pool has no turnover, -1 for a virtual visit).  ``names``: the option indices to
        name the intervals by (``visit_o``, ``room_o``), or None.
        """
        visits, rooms = [], []
        for i, (lit, opt) in enumerate(zip(lits, rows, strict=True)):
            o = None if names is None else names[i]
            d = opt.duration
            visit = self.interval(lit, start, 0, d, "" if o is None else f"visit_{o}")
            visits.append(visit)
            if opt.pool < 0:
                rooms.append(-1)
            elif opt.pool not in turnover:
                rooms.append(visit)
            else:
                size = d + turnover[opt.pool]
                rooms.append(self.interval(lit, start, 0, size, "" if o is None else f"room_{o}"))
        return visits, rooms

    def fixed_interval(self, start: int, size: int) -> int:
        raise NotImplementedError

    def edges(self, first: int, last: int, lo: int, hi: int) -> list[int]:
        """The intervals [lo, first) and [last, hi), always present (``lo <= first`` and
        ``last <= hi`` by their domains); their indices."""
        raise NotImplementedError

    def no_overlap(self, intervals: list[int]) -> None:
        raise NotImplementedError

    def cumulative(self, intervals: list[int], demands: list[int], capacity: int) -> None:
        raise NotImplementedError

    # handles
    def handles(self) -> list[cp_model.IntVar]:
        """Puts what was written into the model; ``IntVar`` handles of every variable."""
        raise NotImplementedError


class _TextWriter(_Writer):
    """Protobuf text, appended to the model's C++ proto in one call per field.

    OR-Tools 9.15 exposes no binary parse on its C++ proto, so text it is; the parse is about
    half of a week's build, and its time grows with the number of fields more than with
    their length.
    So the text holds no field with its default value (a name ``""``, an offset 0), and the
    two repeated fields are written in list form, ``variables[{…},{…}]`` and
    ``constraints[{…},…]``, which names each field once rather than once per element (and
    parses a few percent faster).  ``vars`` and ``cons`` hold element texts ``{…}``, or runs
    of them joined by commas; what is written per option (:meth:`visits`) is formatted
    around a part made once per request, and joined once per request.
    """

    def __init__(self, model: cp_model.CpModel) -> None:
        super().__init__(model)
        self.vars: list[str] = []
        self.cons: list[str] = []
        self.n_cons = 0

    def var(self, domain: list[int], name: str = "") -> int:
        index = self.n_vars
        self.n_vars += 1
        named = f'name:"{name}" ' if name else ""
        self.vars.append(f"{{{named}domain:[{_ints(domain)}]}}")
        if len(domain) == 2 and domain[0] == domain[1]:
            self.fixed.add(index)
        return index

    def bool(self, name: str = "") -> int:
        index = self.n_vars
        self.n_vars += 1
        named = f'name:"{name}" ' if name else ""
        self.vars.append(f"{{{named}domain:[0,1]}}")
        return index

    def bools(self, count: int, names: list[str] | None = None) -> int:
        first = self.n_vars
        self.n_vars += count
        if names is None:
            self.vars.append(",".join(["{domain:[0,1]}"] * count))
        else:
            self.vars.append(",".join([f'{{name:"{n}" domain:[0,1]}}' for n in names]))
        return first

    def constant(self, value: int) -> int:
        index = self.constants.get(value)
        if index is None:
            index = self.constants[value] = self.n_vars
            self.n_vars += 1
            self.vars.append(f"{{domain:[{value},{value}]}}")
            self.fixed.add(index)
        return index

    def _add(self, text: str) -> int:
        self.cons.append(text)
        self.n_cons += 1
        return self.n_cons - 1

    def canonical(
        self, variables: list[int], coeffs: list[int], lo: int, hi: int, enforce: int | None
    ) -> None:
        enf = "" if enforce is None else f"enforcement_literal:{enforce} "
        self._add(
            f"{{{enf}linear{{vars:[{_ints(variables)}] coeffs:[{_ints(coeffs)}] "
            f"domain:[{lo},{hi}]}}}}"
        )

    def enforced_bounds(
        self, variables: list[int], coeffs: list[int], bounds: list[tuple[int, int, int]]
    ) -> None:
        template = (
            f"{{enforcement_literal:%d linear{{vars:[{_ints(variables)}] "
            f"coeffs:[{_ints(coeffs)}] domain:[%d,%d]}}}}"
        )
        self.cons.append(",".join([template % (e, lo, hi) for lo, hi, e in bounds]))
        self.n_cons += len(bounds)

    def in_range(self, var: int, lo: int, hi: int, enforce: int) -> None:
        self._add(_RANGE % (enforce, var, lo, hi))

    def in_domain(self, var: int, domain: list[int], enforce: int) -> None:
        self._add(
            f"{{enforcement_literal:{enforce} linear{{vars:{var} coeffs:1 "
            f"domain:[{_ints(domain)}]}}}}"
        )

    def sum_equals(self, lit: int, xs: list[int]) -> None:
        self._add(
            f"{{linear{{vars:[{_ints(xs)},{lit}] coeffs:[{'-1,' * len(xs)}1] domain:[0,0]}}}}"
        )

    def implication(self, a: int, b: int) -> None:
        self._add(f"{{enforcement_literal:{a} bool_and{{literals:{b}}}}}")

    def exactly_one(self, literals: list[int]) -> None:
        self._add(f"{{exactly_one{{literals:[{_ints(literals)}]}}}}")

    def interval(self, lit: int, var: int, offset: int, size: int, name: str = "") -> int:
        named = f'name:"{name}" ' if name else ""
        start = f" offset:{offset}" if offset else ""
        return self._add(
            f"{{{named}enforcement_literal:{lit} interval{{"
            f"start{{vars:{var} coeffs:1{start}}}"
            f"end{{vars:{var} coeffs:1 offset:{offset + size}}}size{{offset:{size}}}}}}}"
        )

    def visits(
        self,
        start: int,
        lits: list[int],
        rows: list[Option],
        turnover: dict[int, int],
        names: list[int] | None = None,
    ) -> tuple[list[int], list[int]]:
        if names is not None or not turnover.keys().isdisjoint(map(_POOL, rows)):
            # Named, or a pool with a turnover (a room interval of its own): one at a time.
            return super().visits(start, lits, rows, turnover, names)
        # Tens of thousands of these in a week's model, each
        # "{enforcement_literal:L" + middle + "S}size{offset:S}}}" for an interval of size S;
        # the middle holds the start variable (its offset 0 left out) and is made once here.
        middle = f" interval{{start{{vars:{start} coeffs:1}}end{{vars:{start} coeffs:1 offset:"
        n = self.n_cons  # index of the next constraint
        self.cons.append(
            ",".join(
                [
                    f"{{enforcement_literal:{lit}{middle}{opt.duration}}}"
                    f"size{{offset:{opt.duration}}}}}}}"
                    for lit, opt in zip(lits, rows, strict=True)
                ]
            )
        )
        self.n_cons = n + len(rows)
        visits = list(range(n, self.n_cons))
        return visits, [v if opt.pool >= 0 else -1 for v, opt in zip(visits, rows, strict=True)]

    def fixed_interval(self, start: int, size: int) -> int:
        return self._add(
            f"{{interval{{start{{offset:{start}}}end{{offset:{start + size}}}"
            f"size{{offset:{size}}}}}}}"
        )

    def edges(self, first: int, last: int, lo: int, hi: int) -> list[int]:
        self.cons.append(_EDGES % (lo, first, first, -lo, last, hi, last, hi))
        self.n_cons += 2
        return [self.n_cons - 2, self.n_cons - 1]

    def no_overlap(self, intervals: list[int]) -> None:
        self._add(f"{{no_overlap{{intervals:[{_ints(intervals)}]}}}}")

    def cumulative(self, intervals: list[int], demands: list[int], capacity: int) -> None:
        if demands.count(demands[0]) == len(demands):  # all the same
            demand_text = f"demands{{offset:{demands[0]}}}" * len(demands)
        else:
            demand_text = "".join([f"demands{{offset:{d}}}" for d in demands])
        self._add(
            f"{{cumulative{{capacity{{offset:{capacity}}} "
            f"intervals:[{_ints(intervals)}] {demand_text}}}}}"
        )

    def handles(self) -> list[cp_model.IntVar]:
        proto = self.model.proto
        for field_name, pending in (("variables", self.vars), ("constraints", self.cons)):
            if pending:
                if not proto.merge_text_format(f"{field_name}[{','.join(pending)}]"):
                    raise RuntimeError("CP-SAT model text did not parse")  # a bug here
                pending.clear()
        # Let CpModel.new_constant find the constants written here, as if it had made them.
        self.model.rebuild_constant_map()
        return list(map(functools.partial(cp_model.IntVar, proto), range(self.n_vars)))


class _ApiWriter(_Writer):
    """The ``CpModel`` methods, one call per variable or constraint."""

    def __init__(self, model: cp_model.CpModel) -> None:
        super().__init__(model)
        self.var_handles: list[cp_model.IntVar] = []
        self.intervals: dict[int, cp_model.IntervalVar] = {}

    def _lit(self, lit: int) -> Literal:
        return self.var_handles[lit] if lit >= 0 else self.var_handles[~lit].Not()

    def _new(self, handle: cp_model.IntVar) -> int:
        self.var_handles.append(handle)
        self.n_vars += 1
        return self.n_vars - 1

    def var(self, domain: list[int], name: str = "") -> int:
        index = self._new(
            self.model.new_int_var_from_domain(cp_model.Domain.from_flat_intervals(domain), name)
        )
        if len(domain) == 2 and domain[0] == domain[1]:
            self.fixed.add(index)
        return index

    def bool(self, name: str = "") -> int:
        return self._new(self.model.new_bool_var(name))

    def constant(self, value: int) -> int:
        index = self.constants.get(value)
        if index is None:
            index = self.constants[value] = self._new(self.model.new_constant(value))
            self.fixed.add(index)
        return index

    def _linear(
        self, variables: list[int], coeffs: list[int], domain: list[int], enforce: int | None
    ) -> None:
        # Straight into the proto: CpModel.add orders and merges terms differently across
        # releases (and turns a constraint without variables into a Boolean one); this
        # writes the one form of _canonical, as the text writer does.
        ct = self.model.proto.constraints.add()
        if enforce is not None:
            ct.enforcement_literal.append(enforce)
        ct.linear.vars.extend(variables)
        ct.linear.coeffs.extend(coeffs)
        ct.linear.domain.extend(domain)

    def canonical(
        self, variables: list[int], coeffs: list[int], lo: int, hi: int, enforce: int | None
    ) -> None:
        self._linear(variables, coeffs, [lo, hi], enforce)

    def in_domain(self, var: int, domain: list[int], enforce: int) -> None:
        self._linear([var], [1], domain, enforce)

    def implication(self, a: int, b: int) -> None:
        self.model.add_implication(self._lit(a), self._lit(b))

    def exactly_one(self, literals: list[int]) -> None:
        self.model.add_exactly_one([self._lit(lit) for lit in literals])

    def interval(self, lit: int, var: int, offset: int, size: int, name: str = "") -> int:
        start = self.var_handles[var] + offset
        interval = self.model.new_optional_interval_var(
            start, size, start + size, self._lit(lit), name
        )
        self.intervals[interval.index] = interval
        return int(interval.index)

    def fixed_interval(self, start: int, size: int) -> int:
        interval = self.model.new_fixed_size_interval_var(start, size, "")
        self.intervals[interval.index] = interval
        return int(interval.index)

    def edges(self, first: int, last: int, lo: int, hi: int) -> list[int]:
        x, y = self.var_handles[first], self.var_handles[last]
        out = []
        for start, size, end in ((lo, x - lo, x), (y, hi - y, hi)):
            interval = self.model.new_interval_var(start, size, end, "")
            self.intervals[interval.index] = interval
            out.append(int(interval.index))
        return out

    def no_overlap(self, intervals: list[int]) -> None:
        self.model.add_no_overlap([self.intervals[i] for i in intervals])

    def cumulative(self, intervals: list[int], demands: list[int], capacity: int) -> None:
        self.model.add_cumulative([self.intervals[i] for i in intervals], demands, capacity)

    def handles(self) -> list[cp_model.IntVar]:
        return self.var_handles


def _writer(model: cp_model.CpModel) -> _Writer:
    """The fastest writer for this OR-Tools release."""
    native = hasattr(model.proto, "merge_text_format")
    return _TextWriter(model) if native else _ApiWriter(model)


class _Sum:
    """A linear expression as integer literal terms and a constant, built by appending."""

    __slots__ = ("coeffs", "constant", "lits")

    def __init__(self) -> None:
        self.lits: list[int] = []
        self.coeffs: list[int] = []
        self.constant = 0

    def add(self, lit: int, coeff: int) -> None:
        self.lits.append(lit)
        self.coeffs.append(coeff)

    def ones(self, lits: list[int]) -> None:
        """Adds each of ``lits`` with coefficient 1."""
        self.lits += lits
        self.coeffs += [1] * len(lits)

    def expr(self, model: cp_model.CpModel, var: list[cp_model.IntVar]) -> LinearExpr:
        """As an OR-Tools expression over ``model``'s variables, whose handles are ``var``
        (a plain int when it has no variable, like ``sum``)."""
        if not self.lits:
            return self.constant
        if _REBUILD is not None:
            variables, coeffs, constant = self.lits, self.coeffs, self.constant
            if min(variables) < 0:  # negations: ~v is 1 - v
                constant += sum([c for x, c in zip(variables, coeffs, strict=True) if x < 0])
                coeffs = [c if x >= 0 else -c for x, c in zip(variables, coeffs, strict=True)]
                variables = [x if x >= 0 else ~x for x in variables]
            proto = _cmh.LinearExpressionProto()
            proto.vars.extend(variables)
            proto.coeffs.extend(coeffs)
            proto.offset = constant
            return _REBUILD(proto, model.proto)
        handles = [var[x] if x >= 0 else var[~x].Not() for x in self.lits]
        expr = cp_model.LinearExpr.weighted_sum(handles, self.coeffs)
        return expr + self.constant if self.constant else expr


class _Request:
    """A request's variables as integers while the model is written."""

    __slots__ = (
        "by_day",
        "min_start",
        "on_day",
        "options",
        "present",
        "start",
        "unscheduled",
        "visits",
    )

    def __init__(
        self,
        start: int,
        unscheduled: int,
        options: list[int],
        present: dict[int, int],
        min_start: int,
    ) -> None:
        self.start = start
        self.unscheduled = unscheduled
        self.options = options
        self.present = present
        self.min_start = min_start
        self.by_day: dict[int, list[int]] = {}
        self.on_day: dict[int, int] = {}
        self.visits: list[int] = []  # visit interval of each option


class _ProviderDay:
    """A provider-day's options, their visit intervals and their presence literals, in the
    order the intervals were made."""

    __slots__ = ("lits", "options", "visits")

    def __init__(self) -> None:
        self.options: list[int] = []
        self.visits: list[int] = []
        self.lits: list[int] = []


def _union(los: list[int], his: list[int]) -> list[int]:
    """Inclusive spans [los[i], his[i]] as the flat, sorted, merged list of
    ``Domain.from_intervals``."""
    spans = sorted(set(zip(los, his, strict=True)))  # options often share their range
    out = [spans[0][0], spans[0][1]]
    for lo, hi in spans[1:]:
        if lo <= out[-1] + 1:
            if hi > out[-1]:
                out[-1] = hi
        else:
            out += (lo, hi)
    return out


class ModelBuilder:
    """Builds a :class:`ScheduleModel` for ``problem`` (optionally a neighbourhood)."""

    def __init__(
        self,
        problem: Problem,
        cand: Candidates,
        free: set[int] | None = None,
        fixed: Placement | None = None,
        cells: set[tuple[int, int]] | None = None,
        weights: Weights | None = None,
        *,
        names: bool = False,
    ) -> None:
        self.problem = problem
        #: Name the variables and intervals (``start_r``, ``x_o``, ``visit_o``, …), for
        #: reading the model; off by default, as names are a good share of the model's text.
        self.names = names
        self.weights = weights or problem.weights
        self.cand = cand
        self.grain = cand.grain
        self.model = cp_model.CpModel()
        self.free = free
        self.fixed = fixed or {}
        self.vars: dict[int, RequestVars] = {}
        #: (provider, day) → its options; (pool, day) → the room-pool intervals of its options
        #: (a visit's own interval when the pool has no turnover).
        self._provider_days: dict[tuple[int, int], _ProviderDay] = {}
        self._pool_days: dict[tuple[int, int], list[int]] = {}
        self.first_last: dict[tuple[int, int], tuple[cp_model.IntVar, cp_model.IntVar]] = {}
        self.time_ok: dict[int, cp_model.IntVar] = {}
        self.kept: dict[int, cp_model.IntVar] = {}
        self.cells = cells
        self.included = self._included()
        self._w = _writer(self.model)
        self._req: dict[int, _Request] = {}
        self._first_last: dict[tuple[int, int], tuple[int, int]] = {}
        self._busy: dict[tuple[int, int], list[int]] = {}  # provider-day → its durations
        self._time_ok: dict[int, int] = {}
        self._kept: dict[int, int] = {}

    # -- variables ------------------------------------------------------------------------

    def _included(self) -> list[int]:
        """Requests in the model: all of them, or a neighbourhood's free requests plus the
        fixed ones that can interact with them (same days, same patients, links)."""
        n = len(self.problem.requests)
        if self.free is None:
            return list(range(n))
        cand, problem, free, fixed = self.cand, self.problem, self.free, self.fixed
        days = {day for _, day in self.cells} if self.cells is not None else None
        patients = {problem.requests[r].patient_id for r in free}
        linked: set[int] = set()
        for r, request in enumerate(problem.requests):
            for link in request.links:
                other = problem.request_index[link.request_id]
                if r in free:
                    linked.add(other)
                if other in free:
                    linked.add(r)
        # Linked partners stay in the model even when unscheduled, so the link constraints
        # see them (as fixed visits or as fixed unscheduled).
        keep = free | linked
        options, requests = cand.options, problem.requests
        keep.update(
            r
            for r, (o, _t) in fixed.items()
            if days is None or options[o].day in days or requests[r].patient_id in patients
        )
        return sorted(keep)

    def _options_of(self, r: int) -> list[int]:
        if self.free is None:
            return self.cand.by_request[r]
        if r in self.free:
            if self.cells is None:
                return self.cand.by_request[r]
            options, cells = self.cand.options, self.cells
            return [
                o for o in self.cand.by_request[r] if (options[o].provider, options[o].day) in cells
            ]
        if r in self.fixed:
            return [self.fixed[r][0]]
        return []

    def _name(self, prefix: str, *keys: object) -> str:
        """``prefix_key0_key1…`` when the model is named, else no name."""
        return "_".join(map(str, (prefix, *keys))) if self.names else ""

    def _variables(self) -> None:
        """Per request: start, unscheduled, one presence literal per option, the option's
        start range and its visit (and room) interval."""
        w = self._w
        cand = self.cand
        options = cand.options
        turnover = {pool.index: pool.turnover for pool in cand.pools if pool.turnover}
        locked = cand.locked
        free, fixed = self.free, self.fixed
        names = self.names
        # Grouped here, handed on as plain dicts (no default on a missing key).
        provider_days: defaultdict[tuple[int, int], _ProviderDay] = defaultdict(_ProviderDay)
        pool_days: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
        for r in self.included:
            fixed_at = None if (free is None or r in free) else fixed.get(r)
            opts: list[int]
            lits: list[int]
            if fixed_at is not None:  # one option at one start: constant presence
                o, min_start = fixed_at
                opts = [o]
                rows = [options[o]]
                s = w.var([min_start, min_start], self._name("start", r))
                u = w.constant(0)
                lits = [w.constant(1)]
                must = True
            else:
                opts = self._options_of(r)
                if not opts:
                    zero = w.constant(0)
                    self._req[r] = _Request(zero, w.constant(1), [], {}, 0)
                    continue
                rows = [options[o] for o in opts]
                los, his = [opt.lo for opt in rows], [opt.hi for opt in rows]
                domain = _union(los, his)
                min_start = domain[0]
                s = w.var(domain, self._name("start", r))
                must = r in locked
                u = w.constant(0) if must else w.bool(self._name("unscheduled", r))
                if len(opts) == 1:
                    lits = [w.constant(1) if must else ~u]
                    if not must:
                        # Unscheduled, it sits at its earliest start: its wait is a constant.
                        w.in_range(s, min_start, min_start, u)
                else:
                    first = w.bools(len(opts), [f"x_{o}" for o in opts] if names else None)
                    lits = list(range(first, first + len(opts)))
                    w.exactly_one([*lits, u])
                    self._start_range(s, None if must else u, lits, los, his, domain[-1])
            rq = _Request(s, u, list(opts), dict(zip(opts, lits, strict=True)), min_start)
            visits, rooms = w.visits(s, lits, rows, turnover, opts if names else None)
            rq.visits = visits
            by_day: defaultdict[int, list[int]] = defaultdict(list)
            for o, opt, lit, visit, room in zip(opts, rows, lits, visits, rooms, strict=True):
                day = opt.day
                by_day[day].append(o)
                at = provider_days[opt.provider, day]
                at.options.append(o)
                at.visits.append(visit)
                at.lits.append(lit)
                if room >= 0:
                    pool_days[opt.pool, day].append(room)
            rq.by_day = dict(by_day)
            self._req[r] = rq
        self._provider_days = dict(provider_days)
        self._pool_days = dict(pool_days)

    def _start_range(
        self,
        start: int,
        unscheduled: int | None,
        lits: list[int],
        los: list[int],
        his: list[int],
        hi: int,
    ) -> None:
        """``lits[i] ⇒ los[i] <= start <= his[i]`` for every option ``i``, and
        ``unscheduled ⇒ start = lo`` (None: the request is always scheduled), for a request
        whose start domain spans [lo, hi], ``lo = min(los)``.

        As two linear constraints per request rather than one per option:

            start - Σ (los[i] - lo) · lits[i] >= lo
            start + (hi - lo) · unscheduled + Σ (hi - his[i]) · lits[i] <= hi

        Exactly one of ``lits`` and ``unscheduled`` is 1 (the request's exactly-one), so
        with option ``i`` taken they read ``los[i] <= start <= his[i]``, and unscheduled
        ``lo <= start <= lo``: the same starts.  Their bound propagation rules out an option
        whose range lies outside the start's bounds, as the per-option constraints' does;
        not being enforced, they are also in CP-SAT's linear relaxation (the start, and with
        it the wait, is bounded by the options' ranges there).  Written as ``CpModel.add``
        would (start, unscheduled and the literals were made in that order; zero
        coefficients dropped).
        """
        w = self._w
        lo = min(los)
        coeffs = [lo - a for a in los]
        w.canonical([start, *compress(lits, coeffs)], [1, *filter(None, coeffs)], lo, _MAX, None)
        head, head_coeffs = [start], [1]
        if unscheduled is not None and hi != lo:
            head.append(unscheduled)
            head_coeffs.append(hi - lo)
        coeffs = [hi - b for b in his]
        w.canonical(
            [*head, *compress(lits, coeffs)], [*head_coeffs, *filter(None, coeffs)], _MIN, hi, None
        )

    def _on_day(self, r: int, day: int) -> int:
        rq = self._req[r]
        lit = rq.on_day.get(day)
        if lit is not None:
            return lit
        opts = rq.by_day.get(day, [])
        if not opts:
            lit = self._w.constant(0)
        elif len(opts) == 1:
            lit = rq.present[opts[0]]
        elif len(rq.by_day) == 1:
            lit = ~rq.unscheduled
        else:
            # lit == Σ x_o over the day's options: the request's x variables were made
            # together, in option order, and lit after them.
            lit = self._w.bool(self._name("on_day", r, day))
            self._w.sum_equals(lit, list(map(rq.present.__getitem__, opts)))
        rq.on_day[day] = lit
        return lit

    # -- constraint families --------------------------------------------------------------

    def _by_provider_day(self) -> dict[tuple[int, int], list[int]]:
        """Options by (provider, day), in the order their intervals were made."""
        return {key: at.options for key, at in self._provider_days.items()}

    def _provider_no_overlap(self) -> None:
        """A provider sees one patient at a time; at most ``max_visits_per_day`` a day.

        With an idle-gap weight, each provider-day's no-overlap also holds the two edges of
        its working span (:meth:`_idle_span`).
        """
        w = self._w
        idle = self.weights.idle_gap != 0
        free = self.free
        options = self.cand.options
        for key, at in self._provider_days.items():
            opts = at.options
            members = at.visits
            if idle and (free is None or any(options[o].request in free for o in opts)):
                members = [*members, *self._idle_span(key, opts)]  # else a constant
            if len(members) > 1:
                w.no_overlap(members)
            cap = self.problem.providers[key[0]].max_visits_per_day
            if cap is not None and len(opts) > cap:
                w.linear([(x, 1) for x in at.lits], 0, _MIN, cap)

    def _idle_span(self, key: tuple[int, int], opts: list[int]) -> list[int]:
        """The provider-day's working span [first, last) for its idle gap: ``first <= last``
        and no present visit outside it.  Returns the two intervals that say the latter.

        Every visit of the day lies in [lo, hi) (``lo`` the earliest start, ``hi`` the
        latest end of its options), and so do ``first`` and ``last``.  A visit of at least
        one grain (every option's duration is) that starts before ``first`` overlaps
        [lo, first), one that ends after ``last`` overlaps [last, hi); so with these two
        always-present intervals in the provider's no-overlap, every present visit starts at
        or after ``first`` and ends by ``last``, as the per-option constraints
        ``x ⇒ first <= start`` and ``x ⇒ last >= start + duration`` would say, in two
        intervals per provider-day instead of two constraints per option.
        """
        options = self.cand.options
        w = self._w
        rows = [options[o] for o in opts]
        durations = [opt.duration for opt in rows]
        lo = min([opt.lo for opt in rows])
        hi = max([opt.hi + d for opt, d in zip(rows, durations, strict=True)])
        first = w.var([lo, hi], self._name("first", key))
        last = w.var([lo, hi], self._name("last", key))
        w.canonical([first, last], [-1, 1], 0, _MAX, None)  # last - first >= 0
        self._first_last[key] = (first, last)
        self._busy[key] = durations
        return w.edges(first, last, lo, hi)

    def _room_capacity(self) -> None:
        """Interchangeable rooms are pooled: at most as many visits as rooms, with turnover."""
        for (pool, _day), intervals in self._pool_days.items():
            capacity = len(self.cand.pools[pool].rooms)
            if len(intervals) <= capacity:
                continue
            if capacity == 1:
                self._w.no_overlap(intervals)
            else:
                self._w.cumulative(intervals, [1] * len(intervals), capacity)

    def _patient_no_overlap(self) -> None:
        """A patient is never in two places at once."""
        requests = self.problem.requests
        by_patient: dict[str, list[int]] = {}
        for r, rq in self._req.items():
            if rq.options:
                by_patient.setdefault(requests[r].patient_id, []).append(r)
        for group in by_patient.values():
            if len(group) > 1:
                self._w.no_overlap([v for r in group for v in self._req[r].visits])

    def _front_desk(self) -> None:
        """Each arrival holds a check-in station for its check-in minutes before its start."""
        if self.problem.front_desk is None:
            return
        w = self._w
        check_in = self.cand.check_in
        arriving = [(r, rq, check_in[r]) for r, rq in self._req.items() if check_in[r]]
        for day, segments in enumerate(self.cand.desk_spans):
            intervals, demands = [], []
            for r, rq, ci in arriving:
                if day not in rq.by_day:
                    continue
                lit = self._on_day(r, day)
                intervals.append(w.interval(lit, rq.start, -ci, ci, self._name("checkin", r, day)))
                demands.append(1)
            if not intervals:
                continue
            capacity = max((s for _, _, s in segments), default=0)
            lo, hi = self.cand.day_start[day], self.cand.day_end[day]
            cursor = lo
            for s, e, stations in [*segments, (hi, hi, capacity)]:
                if cursor < s:  # no station at all
                    intervals.append(w.fixed_interval(cursor, s - cursor))
                    demands.append(capacity)
                if stations < capacity and s < e:
                    intervals.append(w.fixed_interval(s, e - s))
                    demands.append(capacity - stations)
                cursor = max(cursor, e)
            if capacity == 0:
                for r, rq, _ci in arriving:
                    if day in rq.by_day:
                        w.linear([(self._on_day(r, day), 1)], 0, 0, 0)
                continue
            w.cumulative(intervals, demands, capacity)

    def _links(self) -> None:
        """Same-day sequences (both or neither, gap bounds) and follow-ups (N days after)."""
        w = self._w
        problem = self.problem
        for b in self.included:  # ascending, like the requests
            vb = self._req[b]
            for link in problem.requests[b].links:
                a = problem.request_index[link.request_id]
                va = self._req.get(a)
                if va is None:
                    continue
                if isinstance(link, SameDaySequence):
                    w.linear([(va.unscheduled, 1), (vb.unscheduled, -1)], 0, 0, 0)
                    if not va.options or not vb.options:
                        continue
                    for day in set(va.by_day) | set(vb.by_day):
                        lit_a = self._on_day(a, day)
                        lit_b = self._on_day(b, day)
                        w.linear([(lit_a, 1), (lit_b, -1)], 0, 0, 0)
                    lo = -(-link.min_gap_minutes // self.grain)
                    hi = link.max_gap_minutes // self.grain
                    # start(b) - start(a) - duration(a) in [lo, hi] when a takes option o
                    gap, coeffs, _, _ = _canonical([(vb.start, 1), (va.start, -1)], 0, 0, 0)
                    bounds = []
                    for o in va.options:
                        dur = self.cand.options[o].duration
                        bounds += [(lo + dur, _MAX, va.present[o]), (_MIN, hi + dur, va.present[o])]
                    w.enforced_bounds(gap, coeffs, bounds)
                elif isinstance(link, BeforeVisit):
                    w.linear([(va.unscheduled, 1), (vb.unscheduled, -1)], 0, 0, 0)
                    if not va.options or not vb.options:
                        continue
                    scheduled = ~vb.unscheduled
                    # date(b) - date(a) in [-max_days_before, 0]
                    diff = self._date_ordinal(b, 1) + self._date_ordinal(a, -1)
                    w.linear(diff, 0, _MIN, 0, scheduled)
                    w.linear(diff, 0, -link.max_days_before, _MAX, scheduled)
                elif isinstance(link, FollowUp):
                    w.linear([(va.unscheduled, 1), (vb.unscheduled, -1)], 0, _MIN, 0)
                    if not va.options or not vb.options:
                        continue
                    diff = self._date_ordinal(b, 1) + self._date_ordinal(a, -1)
                    w.linear(diff, 0, link.min_days, _MAX, ~vb.unscheduled)

    def _date_ordinal(self, r: int, sign: int) -> list[tuple[int, int]]:
        """``sign`` × the date of request ``r`` (as a proleptic ordinal), as literal terms."""
        rq = self._req[r]
        ordinal = [sign * date.toordinal() for date in self.cand.horizon.dates]
        present = rq.present
        return [(present[o], ordinal[day]) for day, opts in rq.by_day.items() for o in opts]

    # -- objective ------------------------------------------------------------------------

    def _objective_terms(self) -> dict[str, _Sum]:
        w = self._w
        grain = self.grain
        problem = self.problem
        cand = self.cand
        options = cand.options
        unscheduled, wait, pref_miss, time_miss = _Sum(), _Sum(), _Sum(), _Sum()
        move_cost, moves, out_of_network = _Sum(), _Sum(), _Sum()
        for r, rq in self._req.items():
            request = problem.requests[r]
            prio = request.priority
            u = rq.unscheduled
            unscheduled.add(u, prio)
            pin = problem.pin_by_request.get(request.id)
            if not rq.options:
                if pin is not None and not pin.locked:
                    move_cost.constant += pin.move_cost
                    moves.constant += 1
                continue
            present = rq.present
            out_of_network.ones([present[o] for o in rq.options if not options[o].in_network])
            e = cand.earliest_minute[r]
            wait.add(rq.start, prio * grain)
            wait.constant -= prio * e
            wait.add(u, -prio * (grain * rq.min_start - e))
            if request.preferred_provider_ids:
                wanted = {problem.provider_index[p] for p in request.preferred_provider_ids}
                pref_miss.ones(
                    [present[o] for o in rq.options if options[o].provider not in wanted]
                )
            if request.preferred_times:
                spans = preferred_spans(problem, cand, r)
                ok = w.bool(self._name("time_ok", r))
                if spans:
                    domain = cp_model.Domain.from_intervals([[s, e - 1] for s, e in spans])
                    w.in_domain(rq.start, [int(v) for v in domain.flattened_intervals()], ok)
                else:
                    w.linear([(ok, 1)], 0, 0, 0)
                w.linear([(ok, 1), (u, 1)], 0, _MIN, 1)
                self._time_ok[r] = ok
                time_miss.constant += 1
                time_miss.add(u, -1)
                time_miss.add(ok, -1)
            if pin is not None and not pin.locked and r not in cand.locked:
                kept = w.bool(self._name("kept", r))
                o_pin = cand.pinned_option.get(r)
                if o_pin is None or o_pin not in present:
                    w.linear([(kept, 1)], 0, 0, 0)
                else:
                    w.implication(kept, present[o_pin])
                    start = cand.pinned_start[r]
                    w.in_domain(rq.start, [start, start], kept)
                self._kept[r] = kept
                move_cost.constant += pin.move_cost
                move_cost.add(kept, -pin.move_cost)
                moves.constant += 1
                moves.add(kept, -1)
        return {
            "unscheduled_priority": unscheduled,
            "access_wait": wait,
            "idle_gap": self._idle_gap(),
            "provider_preference_misses": pref_miss,
            "time_preference_misses": time_miss,
            "pinned_moves": moves,
            "pinned_move_cost": move_cost,
            "out_of_network_visits": out_of_network,
        }

    def _idle_gap(self) -> _Sum:
        """Per provider-day: last end − first start − busy minutes (exact at optimum); the
        span [first, last) is made by :meth:`_idle_span`."""
        total = _Sum()
        grain = self.grain
        for key, (first, last) in self._first_last.items():
            total.lits += self._provider_days[key].lits
            total.coeffs += [-grain * d for d in self._busy[key]]
            total.add(last, grain)
            total.add(first, -grain)
        return total

    # -- assembly -------------------------------------------------------------------------

    def build(self) -> ScheduleModel:
        """Variables, constraints in one visible sequence, then the objective."""
        self._variables()
        self._provider_no_overlap()
        self._room_capacity()
        self._patient_no_overlap()
        self._front_desk()
        self._links()
        sums = self._objective_terms()
        var = self._handles()
        terms = {name: s.expr(self.model, var) for name, s in sums.items()}
        w = self.weights
        weighted = cp_model.LinearExpr.weighted_sum(
            [
                terms["unscheduled_priority"],
                terms["access_wait"],
                terms["idle_gap"],
                terms["provider_preference_misses"],
                terms["time_preference_misses"],
                terms["pinned_move_cost"],
                terms["out_of_network_visits"],
            ],
            [
                w.unscheduled,
                w.access_wait,
                w.idle_gap,
                w.provider_preference_miss,
                w.time_preference_miss,
                w.pinned_move,
                w.out_of_network or 0,
            ],
        )
        return ScheduleModel(
            self.model,
            self.vars,
            terms,
            weighted,
            self.first_last,
            self._by_provider_day(),
            self.time_ok,
            self.kept,
            frozenset(self._w.fixed),
        )

    def _handles(self) -> list[cp_model.IntVar]:
        """OR-Tools handles for everything :class:`ScheduleModel` exposes; returns the
        handle of every variable, by index."""
        var = self._w.handles()

        def lit(index: int) -> Literal:
            return var[index] if index >= 0 else var[~index].Not()

        handle = var.__getitem__
        for r, rq in self._req.items():
            if len(rq.present) > 1:  # one Boolean variable per option
                present = dict(zip(rq.present, map(handle, rq.present.values()), strict=True))
            else:
                present = {o: lit(x) for o, x in rq.present.items()}
            on_day = {day: lit(x) for day, x in rq.on_day.items()} if rq.on_day else {}
            self.vars[r] = RequestVars(
                var[rq.start],
                var[rq.unscheduled],
                rq.options,
                present,
                rq.min_start,
                rq.by_day,
                on_day,
            )
        self.first_last.update(
            (key, (var[first], var[last])) for key, (first, last) in self._first_last.items()
        )
        self.time_ok.update((r, var[x]) for r, x in self._time_ok.items())
        self.kept.update((r, var[x]) for r, x in self._kept.items())
        return var


def add_hint(sm: ScheduleModel, problem: Problem, cand: Candidates, placement: Placement) -> None:
    """Hint every decision variable with a complete placement (each variable once)."""
    hints: dict[int, int] = {}  # variable index → value, first hint wins
    int_var = cp_model.IntVar

    def hint(var: Literal, value: int) -> None:
        if isinstance(var, int_var):
            hints.setdefault(var.index, value)
        else:  # a negated Boolean
            hints.setdefault(var.Not().index, 1 - value)

    options = cand.options
    for r, rv in sm.requests.items():
        if not rv.options:
            continue
        chosen = placement.get(r)
        o_chosen = chosen[0] if chosen is not None else -1
        for o, lit in rv.present.items():
            hint(lit, 1 if o == o_chosen else 0)
        hint(rv.unscheduled, 0 if chosen is not None else 1)
        hint(rv.start, chosen[1] if chosen is not None else rv.min_start)
        if rv.on_day:
            day_chosen = options[o_chosen].day if chosen is not None else -1
            for day, lit in rv.on_day.items():
                hint(lit, 1 if day == day_chosen else 0)
    spans: dict[tuple[int, int], list[int]] = {}
    for r, (o, t) in placement.items():
        if r not in sm.requests or not sm.requests[r].options:
            continue
        opt = options[o]
        key = (opt.provider, opt.day)
        end = t + opt.duration
        if key in spans:
            spans[key] = [min(spans[key][0], t), max(spans[key][1], end)]
        else:
            spans[key] = [t, end]
    for key, (first, last) in sm.first_last.items():
        if key in spans:
            hint(first, spans[key][0])
            hint(last, spans[key][1])
        else:
            lowest = min(options[o].lo for o in sm.provider_day_options[key])
            hint(first, lowest)
            hint(last, lowest)
    for r, ok in sm.time_ok.items():
        chosen = placement.get(r)
        spans_r = preferred_spans(problem, cand, r)
        inside = chosen is not None and any(s <= chosen[1] < e for s, e in spans_r)
        hint(ok, 1 if inside else 0)
    for r, kept in sm.kept.items():
        chosen = placement.get(r)
        same = (
            chosen is not None
            and chosen[0] == cand.pinned_option.get(r)
            and chosen[1] == cand.pinned_start.get(r)
        )
        hint(kept, 1 if same else 0)
    model = sm.model
    model.clear_hints()  # type: ignore[no-untyped-call]
    fixed = sm.fixed_vars
    if fixed is None:
        var = model.get_int_var_from_proto_index
        fixed = frozenset(i for i in hints if _is_constant_domain(var(i).proto.domain))
    kept_vars = [i for i in hints if i not in fixed]
    if kept_vars:
        solution_hint = model.proto.solution_hint
        solution_hint.vars.extend(kept_vars)
        solution_hint.values.extend([hints[i] for i in kept_vars])


def _is_constant_domain(domain: Any) -> bool:
    return len(domain) == 2 and domain[0] == domain[1]
