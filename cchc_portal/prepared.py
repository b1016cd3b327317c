"""Queries a page runs on every request, compiled once per process.

Django builds and compiles a query from its QuerySet each time it runs: for the entry sheet's nine small queries
that was a third of the page's time, more than the database took to answer them. A `Prepared` query is built once,
from stand-in arguments, compiled by Django's own compiler for the database it reads from, and kept; each call only
binds its arguments to the kept statement and turns the rows into model instances as a QuerySet would (same
fields, same converters, `select_related` objects attached), so a caller cannot tell the two apart — the tests hold
each prepared query to its QuerySet on SQLite and on PostgreSQL.

The arguments are found in the compiled parameters by the stand-ins' values (whole numbers and texts no real query
uses), so a query whose argument the compiler transforms (`icontains` wraps it in %…%) is refused when it is
prepared, not answered wrongly. Only plain queries are meant: filters, ordering, `select_related`, a fixed slice.
"""

import threading
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, router
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators

# Stand-ins for the arguments while the query is compiled: values no id or code of the portal takes.
_INT_BASE = -2_073_741_823  # within every integer column's range (a wider one compiles to "no rows")
_TEXT_MARK = "\x00prepared-argument-"


class NotPreparable(Exception):
    """The query does not carry its arguments as plain parameters: keep it a QuerySet."""


class Prepared:
    """`build(*args)` → QuerySet, compiled once per database alias; `objects(*args)` are its model instances.

    `kinds` says what each argument is: int (an id) or str (a code)."""

    def __init__(self, build: Callable, kinds: tuple[type, ...]):
        self._build, self._kinds = build, kinds
        self._compiled: dict[str, _Compiled] = {}
        self._model = None
        self._lock = threading.Lock()

    def _stand_ins(self) -> list:
        return [_INT_BASE - i if kind is int else f"{_TEXT_MARK}{i}" for i, kind in enumerate(self._kinds)]

    def _compile(self, alias: str) -> "_Compiled":
        stand_ins = self._stand_ins()
        queryset = self._build(*stand_ins)
        if queryset._iterable_class not in (ModelIterable, ValuesListIterable):
            raise NotPreparable("only model instances and values_list() rows (not flat, not named) are prepared")
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = []  # for each parameter: (True, argument index) or (False, the constant the query holds)
        for param in params:
            found = next((i for i, s in enumerate(stand_ins) if type(param) is type(s) and param == s), None)
            slots.append((True, found) if found is not None else (False, param))
        if sorted(i for taken, i in slots if taken) != list(range(len(stand_ins))):
            raise NotPreparable(f"each argument must be one plain parameter of: {sql}")
        info, select = compiler.klass_info, compiler.select
        converters = compiler.get_converters([column[0] for column in select[: compiler.col_count]])
        if queryset._iterable_class is ValuesListIterable:  # rows, no instances
            return _Compiled(sql, tuple(slots), compiler, None, [], (0, 0), converters, [], None, 0)
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        model, names = info["model"], [column[0].target.attname for column in select[start:end]]
        return _Compiled(
            sql=sql,
            slots=tuple(slots),
            compiler=compiler,
            model=model,
            names=names,
            span=(start, end),
            converters=converters,
            populators=get_related_populators(info, select, alias),
            record=namedtuple(f"{model.__name__}Record", [*names, "pk"]),
            pk_at=names.index(model._meta.pk.attname),
        )

    def _run(self, args) -> tuple[str, "_Compiled", list]:
        if len(args) != len(self._kinds):
            raise TypeError(f"{len(self._kinds)} arguments expected, {len(args)} given")
        if self._model is None:
            self._model = self._build(*self._stand_ins()).model
        alias = router.db_for_read(self._model)
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(alias, self._compile(alias))
        params = [args[value] if taken else value for taken, value in compiled.slots]
        with connections[alias].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        return alias, compiled, rows

    def rows(self, *args) -> list[tuple]:
        """The rows of a `values_list()` query for these arguments, each value as the QuerySet gives it."""
        _, compiled, rows = self._run(args)
        if compiled.model is not None:
            raise TypeError("rows() is for values_list() queries; objects() gives model instances")
        return [tuple(row) for row in rows]

    def records(self, *args) -> list:
        """The query's rows as read-only records carrying the model's attribute names (and `pk`): what a page that
        only reads the rows needs, at a tenth of a model instance's cost. `select_related` is not carried."""
        _, compiled, rows = self._run(args)
        if compiled.model is None:
            raise TypeError("records() is for model queries; rows() gives the rows of values_list()")
        record, (start, end), at = compiled.record, compiled.span, compiled.pk_at
        return [record._make((*row[start:end], row[start + at])) for row in rows]

    def objects(self, *args) -> list:
        """The query's model instances for these arguments, in its order."""
        alias, compiled, rows = self._run(args)
        if compiled.model is None:
            raise TypeError("objects() is for model queries; rows() gives the rows of values_list()")
        (start, end), model, names = compiled.span, compiled.model, compiled.names
        found = []
        for row in rows:
            obj = model.from_db(alias, names, row[start:end])
            for populator in compiled.populators:
                populator.populate(row, obj)
            found.append(obj)
        return found


@dataclass(frozen=True)
class _Compiled:
    sql: str
    slots: tuple
    compiler: object  # Django's SQLCompiler, kept for its converters
    model: type
    names: list[str]
    span: tuple[int, int]  # where the model's own columns are in a row
    converters: dict
    populators: list
    record: type | None  # the records' class: the model's attribute names, then pk
    pk_at: int  # where the primary key is among the model's columns
