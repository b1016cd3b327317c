"""After publication nothing about a period changes in place: the database itself refuses it.

Triggers on SQLite and PostgreSQL (any other database: nothing is installed) refuse, whatever the
write path (admin, raw ORM, raw SQL, a bug):

1. scoring_score: INSERT / UPDATE / DELETE of a score of a published or locked period;
2. scoring_evidence: INSERT / UPDATE / DELETE of evidence whose score belongs to such a period;
3. scoring_result: INSERT into, UPDATE or DELETE of a result of, a sealed version (a correction being prepared
   is a version not yet sealed: its rows may change until it is published);
4. scoring_resultversion: DELETE of a sealed version; UPDATE of a sealed version, except of is_current
   alone (a correction supersedes the old version with ``.update(is_current=False)``);
5. scoring_period: DELETE of a published or locked period; UPDATE of one, except re-saving it unchanged
   and the single move published -> locked; and, for every period, a change of the demonstration flag;
6. scoring_criterion: INSERT / UPDATE / DELETE of a node of a criteria set used by such a period;
7. scoring_auditentry: UPDATE / DELETE, always (the log is append-only);
8. scoring_gradeband: INSERT / UPDATE / DELETE of a band of a grade scheme used by such a period;
9. scoring_resultversion's is_current moves only as a correction moves it: the current version gives way
   only to a newer sealed one, a superseded version never comes back, and a version is sealed only with
   its results in it — so no update can make a published table vanish or return to an old state;
10. scoring_scorecorrection: INSERT / UPDATE / DELETE of a correction of a sealed version (a correction is
    prepared in a version not yet sealed, and fixed for good with it);
11. PostgreSQL only: TRUNCATE of any of these tables while any period is published or locked.

Every refusal is an error whose message starts with "cchc_locked:" and a Vietnamese explanation
(SQLite: IntegrityError, PostgreSQL: InternalError; both are django.db.DatabaseError).

The columns a sealed version or a published period may never change are read from the table when the
triggers are installed: every column but the ones meant to move (``MOVABLE``). A column added by a later
migration is therefore frozen by default — the triggers are installed again after every migrate.

``install(connection)`` and ``uninstall(connection)`` are idempotent; ``suspended(connection)`` lifts the
locks for a block of code (tests and benchmarks that must empty or reset their own throwaway data).

On PostgreSQL the row a check reads (the period, the result version) is locked FOR SHARE for the rest of
the writing transaction, so a write cannot slip in while another transaction publishes the period.

A migration that rebuilds one of these tables on SQLite (most ALTERs: SQLite copies the table) must lift
the locks first and restore them last (two RunPython operations calling ``uninstall`` and ``install``, as
0008 does): triggers of other tables name the rebuilt one, and SQLite refuses a rename while they do. The
``post_migrate`` hook installs the locks again after every migrate in any case.
"""

from contextlib import contextmanager

LOCKED_STATUSES = ("published", "locked")
_STATUSES_SQL = ", ".join(f"'{s}'" for s in LOCKED_STATUSES)

MSG_SCORE = "cchc_locked: kỳ đánh giá đã công bố hoặc đã khóa, không được sửa điểm."
MSG_EVIDENCE = "cchc_locked: kỳ đánh giá đã công bố hoặc đã khóa, không được sửa tài liệu kiểm chứng."
MSG_RESULT = "cchc_locked: kết quả đã công bố, không được sửa (đính chính là một lần công bố mới)."
MSG_RESULT_SEALED = "cchc_locked: lần công bố đã niêm phong, không được thêm kết quả."
MSG_VERSION_DELETE = "cchc_locked: lần công bố đã niêm phong, không được xóa."
MSG_VERSION_UPDATE = "cchc_locked: lần công bố đã niêm phong, chỉ được đổi trạng thái hiệu lực."
MSG_PERIOD_DELETE = "cchc_locked: kỳ đánh giá đã công bố hoặc đã khóa, không được xóa."
MSG_PERIOD_UPDATE = "cchc_locked: kỳ đánh giá đã công bố hoặc đã khóa, chỉ được chuyển từ đã công bố sang đã khóa."
MSG_CRITERION = "cchc_locked: bộ tiêu chí đã dùng cho kỳ đánh giá đã công bố hoặc đã khóa, không được sửa."
MSG_AUDIT = "cchc_locked: nhật ký thay đổi không được sửa hoặc xóa."
MSG_GRADE_BAND = "cchc_locked: thang xếp loại đã dùng cho kỳ đánh giá đã công bố hoặc đã khóa, không được sửa."
MSG_VERSION_CURRENT = "cchc_locked: chỉ một lần đính chính mới hơn, đã niêm phong, mới thay được bản đang có hiệu lực."
MSG_VERSION_EMPTY = "cchc_locked: không niêm phong một lần công bố chưa có kết quả."
MSG_DEMO = "cchc_locked: cờ dữ liệu minh họa của kỳ đánh giá không được đổi sau khi tạo."
MSG_CORRECTION = "cchc_locked: lần đính chính đã công bố, không được sửa điểm đính chính."
MSG_TRUNCATE = "cchc_locked: có kỳ đánh giá đã công bố hoặc đã khóa, không được xóa sạch bảng."

# The columns of a locked row that are meant to move; every other column is frozen.
MOVABLE = {
    "scoring_resultversion": ("is_current",),  # a correction supersedes the current version
    "scoring_period": ("status",),  # published -> locked
}


def _sql_str(text):
    return "'" + text.replace("'", "''") + "'"


# --------------------------------------------------------------------------------------------- SQLite


def _period_locked_sqlite(period_id_expr):
    return f"EXISTS (SELECT 1 FROM scoring_period WHERE id = {period_id_expr} AND status IN ({_STATUSES_SQL}))"


def _score_locked_sqlite(score_id_expr):
    return (
        "EXISTS (SELECT 1 FROM scoring_score s JOIN scoring_period p ON p.id = s.period_id "
        f"WHERE s.id = {score_id_expr} AND p.status IN ({_STATUSES_SQL}))"
    )


def _criteria_set_locked_sqlite(set_id_expr):
    return (
        f"EXISTS (SELECT 1 FROM scoring_period WHERE criteria_set_id = {set_id_expr} AND status IN ({_STATUSES_SQL}))"
    )


def _scheme_locked_sqlite(scheme_id_expr):
    return (
        f"EXISTS (SELECT 1 FROM scoring_period WHERE grade_scheme_id = {scheme_id_expr} "
        f"AND status IN ({_STATUSES_SQL}))"
    )


def _sealed_sqlite(row):
    return f"EXISTS (SELECT 1 FROM scoring_resultversion WHERE id = {row}.version_id AND sealed = 1)"


_NEWER_SEALED = (
    "EXISTS (SELECT 1 FROM scoring_resultversion v WHERE v.period_id = OLD.period_id "
    "AND v.number > OLD.number AND v.sealed{true})"
)


def _changed_sqlite(columns):
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


def _unchanged_sqlite(columns):
    return " AND ".join(f"NEW.{c} IS OLD.{c}" for c in columns)


def _sqlite_triggers(version_frozen, period_frozen):
    """(trigger name, table, event, WHEN condition or None, message) of every SQLite lock trigger."""
    return (
        # 1. Scores.
        ("cchc_lock_score_insert", "scoring_score", "INSERT", _period_locked_sqlite("NEW.period_id"), MSG_SCORE),
        (
            "cchc_lock_score_update",
            "scoring_score",
            "UPDATE",
            f"{_period_locked_sqlite('OLD.period_id')} OR {_period_locked_sqlite('NEW.period_id')}",
            MSG_SCORE,
        ),
        ("cchc_lock_score_delete", "scoring_score", "DELETE", _period_locked_sqlite("OLD.period_id"), MSG_SCORE),
        # 2. Evidence.
        ("cchc_lock_evidence_insert", "scoring_evidence", "INSERT", _score_locked_sqlite("NEW.score_id"), MSG_EVIDENCE),
        (
            "cchc_lock_evidence_update",
            "scoring_evidence",
            "UPDATE",
            f"{_score_locked_sqlite('OLD.score_id')} OR {_score_locked_sqlite('NEW.score_id')}",
            MSG_EVIDENCE,
        ),
        ("cchc_lock_evidence_delete", "scoring_evidence", "DELETE", _score_locked_sqlite("OLD.score_id"), MSG_EVIDENCE),
        # 3. Results.
        (
            "cchc_lock_result_insert",
            "scoring_result",
            "INSERT",
            "EXISTS (SELECT 1 FROM scoring_resultversion WHERE id = NEW.version_id AND sealed = 1)",
            MSG_RESULT_SEALED,
        ),
        (
            "cchc_lock_result_update",
            "scoring_result",
            "UPDATE",
            f"{_sealed_sqlite('OLD')} OR {_sealed_sqlite('NEW')}",
            MSG_RESULT,
        ),
        ("cchc_lock_result_delete", "scoring_result", "DELETE", _sealed_sqlite("OLD"), MSG_RESULT),
        # 4. Result versions.
        (
            "cchc_lock_resultversion_update",
            "scoring_resultversion",
            "UPDATE",
            f"OLD.sealed = 1 AND ({_changed_sqlite(version_frozen)})",
            MSG_VERSION_UPDATE,
        ),
        ("cchc_lock_resultversion_delete", "scoring_resultversion", "DELETE", "OLD.sealed = 1", MSG_VERSION_DELETE),
        (
            "cchc_lock_resultversion_supersede",
            "scoring_resultversion",
            "UPDATE",
            "OLD.sealed = 1 AND OLD.is_current = 1 AND NEW.is_current = 0 AND NOT " + _NEWER_SEALED.format(true=" = 1"),
            MSG_VERSION_CURRENT,
        ),
        (
            "cchc_lock_resultversion_revive",
            "scoring_resultversion",
            "UPDATE",
            "OLD.sealed = 1 AND OLD.is_current = 0 AND NEW.is_current = 1 AND " + _NEWER_SEALED.format(true=" = 1"),
            MSG_VERSION_CURRENT,
        ),
        (
            "cchc_lock_resultversion_seal",
            "scoring_resultversion",
            "UPDATE",
            "OLD.sealed = 0 AND NEW.sealed = 1 "
            "AND NOT EXISTS (SELECT 1 FROM scoring_result r WHERE r.version_id = OLD.id)",
            MSG_VERSION_EMPTY,
        ),
        # 5. Periods.
        (
            "cchc_lock_period_update",
            "scoring_period",
            "UPDATE",
            f"OLD.status IN ({_STATUSES_SQL}) AND NOT ({_unchanged_sqlite(period_frozen)} "
            "AND (NEW.status IS OLD.status OR (OLD.status = 'published' AND NEW.status = 'locked')))",
            MSG_PERIOD_UPDATE,
        ),
        ("cchc_lock_period_delete", "scoring_period", "DELETE", f"OLD.status IN ({_STATUSES_SQL})", MSG_PERIOD_DELETE),
        ("cchc_lock_period_demo", "scoring_period", "UPDATE", "NEW.is_demo IS NOT OLD.is_demo", MSG_DEMO),
        # 6. Criteria.
        (
            "cchc_lock_criterion_insert",
            "scoring_criterion",
            "INSERT",
            _criteria_set_locked_sqlite("NEW.criteria_set_id"),
            MSG_CRITERION,
        ),
        (
            "cchc_lock_criterion_update",
            "scoring_criterion",
            "UPDATE",
            f"{_criteria_set_locked_sqlite('OLD.criteria_set_id')} OR "
            f"{_criteria_set_locked_sqlite('NEW.criteria_set_id')}",
            MSG_CRITERION,
        ),
        (
            "cchc_lock_criterion_delete",
            "scoring_criterion",
            "DELETE",
            _criteria_set_locked_sqlite("OLD.criteria_set_id"),
            MSG_CRITERION,
        ),
        # 7. The audit log.
        ("cchc_lock_auditentry_update", "scoring_auditentry", "UPDATE", None, MSG_AUDIT),
        ("cchc_lock_auditentry_delete", "scoring_auditentry", "DELETE", None, MSG_AUDIT),
        # 10. Corrections of a sealed version.
        ("cchc_lock_correction_insert", "scoring_scorecorrection", "INSERT", _sealed_sqlite("NEW"), MSG_CORRECTION),
        (
            "cchc_lock_correction_update",
            "scoring_scorecorrection",
            "UPDATE",
            f"{_sealed_sqlite('OLD')} OR {_sealed_sqlite('NEW')}",
            MSG_CORRECTION,
        ),
        ("cchc_lock_correction_delete", "scoring_scorecorrection", "DELETE", _sealed_sqlite("OLD"), MSG_CORRECTION),
        # 8. Grade bands.
        (
            "cchc_lock_gradeband_insert",
            "scoring_gradeband",
            "INSERT",
            _scheme_locked_sqlite("NEW.scheme_id"),
            MSG_GRADE_BAND,
        ),
        (
            "cchc_lock_gradeband_update",
            "scoring_gradeband",
            "UPDATE",
            f"{_scheme_locked_sqlite('OLD.scheme_id')} OR {_scheme_locked_sqlite('NEW.scheme_id')}",
            MSG_GRADE_BAND,
        ),
        (
            "cchc_lock_gradeband_delete",
            "scoring_gradeband",
            "DELETE",
            _scheme_locked_sqlite("OLD.scheme_id"),
            MSG_GRADE_BAND,
        ),
    )


def _sqlite_create(name, table, event, condition, message):
    when = f"\nFOR EACH ROW WHEN {condition}" if condition else "\nFOR EACH ROW"
    return f"CREATE TRIGGER {name} BEFORE {event} ON {table}{when}\nBEGIN SELECT RAISE(ABORT, {_sql_str(message)}); END"


# ----------------------------------------------------------------------------------------- PostgreSQL


def _pg_changed(columns):
    return " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)


def _pg_unchanged(columns):
    return " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in columns)


def _pg_functions(version_frozen, period_frozen):
    """Signature -> CREATE FUNCTION of every PostgreSQL helper and trigger function.

    Helpers read (and lock FOR SHARE, until the writing transaction ends) the row the decision rests on.
    """
    return {
        "cchc_period_is_locked(bigint)": f"""
CREATE OR REPLACE FUNCTION cchc_period_is_locked(p_period_id bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_status varchar;
BEGIN
    IF p_period_id IS NULL THEN
        RETURN false;
    END IF;
    SELECT status INTO v_status FROM scoring_period WHERE id = p_period_id FOR SHARE;
    RETURN coalesce(v_status IN ({_STATUSES_SQL}), false);
END;
$$""",
        "cchc_score_is_locked(bigint)": """
CREATE OR REPLACE FUNCTION cchc_score_is_locked(p_score_id bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_period_id bigint;
BEGIN
    IF p_score_id IS NULL THEN
        RETURN false;
    END IF;
    SELECT period_id INTO v_period_id FROM scoring_score WHERE id = p_score_id;
    RETURN cchc_period_is_locked(v_period_id);
END;
$$""",
        "cchc_criteria_set_is_locked(bigint)": f"""
CREATE OR REPLACE FUNCTION cchc_criteria_set_is_locked(p_set_id bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_status varchar;
BEGIN
    IF p_set_id IS NULL THEN
        RETURN false;
    END IF;
    FOR v_status IN SELECT status FROM scoring_period WHERE criteria_set_id = p_set_id FOR SHARE LOOP
        IF v_status IN ({_STATUSES_SQL}) THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END;
$$""",
        # 1. Scores.
        "cchc_lock_score()": f"""
CREATE OR REPLACE FUNCTION cchc_lock_score() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF cchc_period_is_locked(OLD.period_id) THEN
            RAISE EXCEPTION {_sql_str(MSG_SCORE)};
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF cchc_period_is_locked(NEW.period_id) THEN
            RAISE EXCEPTION {_sql_str(MSG_SCORE)};
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$""",
        # 2. Evidence.
        "cchc_lock_evidence()": f"""
CREATE OR REPLACE FUNCTION cchc_lock_evidence() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF cchc_score_is_locked(OLD.score_id) THEN
            RAISE EXCEPTION {_sql_str(MSG_EVIDENCE)};
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF cchc_score_is_locked(NEW.score_id) THEN
            RAISE EXCEPTION {_sql_str(MSG_EVIDENCE)};
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$""",
        # 3. Results.
        "cchc_lock_result()": f"""
CREATE OR REPLACE FUNCTION cchc_lock_result() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_sealed boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT sealed INTO v_sealed FROM scoring_resultversion WHERE id = NEW.version_id FOR SHARE;
        IF coalesce(v_sealed, false) THEN
            RAISE EXCEPTION {_sql_str(MSG_RESULT_SEALED)};
        END IF;
        RETURN NEW;
    END IF;
    SELECT sealed INTO v_sealed FROM scoring_resultversion WHERE id = OLD.version_id FOR SHARE;
    IF coalesce(v_sealed, false) THEN
        RAISE EXCEPTION {_sql_str(MSG_RESULT)};
    END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT sealed INTO v_sealed FROM scoring_resultversion WHERE id = NEW.version_id FOR SHARE;
        IF coalesce(v_sealed, false) THEN
            RAISE EXCEPTION {_sql_str(MSG_RESULT)};
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$""",
        # 10. Corrections.
        "cchc_lock_scorecorrection()": f"""
CREATE OR REPLACE FUNCTION cchc_lock_scorecorrection() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_sealed boolean;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT sealed INTO v_sealed FROM scoring_resultversion WHERE id = OLD.version_id FOR SHARE;
        IF coalesce(v_sealed, false) THEN
            RAISE EXCEPTION {_sql_str(MSG_CORRECTION)};
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT sealed INTO v_sealed FROM scoring_resultversion WHERE id = NEW.version_id FOR SHARE;
        IF coalesce(v_sealed, false) THEN
            RAISE EXCEPTION {_sql_str(MSG_CORRECTION)};
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$""",
        # 4. Result versions.
        "cchc_lock_resultversion()": f"""
CREATE OR REPLACE FUNCTION cchc_lock_resultversion() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.sealed THEN
            RAISE EXCEPTION {_sql_str(MSG_VERSION_DELETE)};
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.sealed AND ({_pg_changed(version_frozen)}) THEN
        RAISE EXCEPTION {_sql_str(MSG_VERSION_UPDATE)};
    END IF;
    IF OLD.sealed AND OLD.is_current AND NOT NEW.is_current AND NOT {_NEWER_SEALED.format(true="")} THEN
        RAISE EXCEPTION {_sql_str(MSG_VERSION_CURRENT)};
    END IF;
    IF OLD.sealed AND NOT OLD.is_current AND NEW.is_current AND {_NEWER_SEALED.format(true="")} THEN
        RAISE EXCEPTION {_sql_str(MSG_VERSION_CURRENT)};
    END IF;
    IF NOT OLD.sealed AND NEW.sealed AND NOT EXISTS (SELECT 1 FROM scoring_result r WHERE r.version_id = OLD.id) THEN
        RAISE EXCEPTION {_sql_str(MSG_VERSION_EMPTY)};
    END IF;
    RETURN NEW;
END;
$$""",
        # 5. Periods.
        "cchc_lock_period()": f"""
CREATE OR REPLACE FUNCTION cchc_lock_period() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status IN ({_STATUSES_SQL}) THEN
            RAISE EXCEPTION {_sql_str(MSG_PERIOD_DELETE)};
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.is_demo IS DISTINCT FROM OLD.is_demo THEN
        RAISE EXCEPTION {_sql_str(MSG_DEMO)};
    END IF;
    IF OLD.status IN ({_STATUSES_SQL}) AND NOT (
        {_pg_unchanged(period_frozen)}
        AND (NEW.status IS NOT DISTINCT FROM OLD.status
             OR (OLD.status = 'published' AND NEW.status = 'locked'))
    ) THEN
        RAISE EXCEPTION {_sql_str(MSG_PERIOD_UPDATE)};
    END IF;
    RETURN NEW;
END;
$$""",
        # 6. Criteria.
        "cchc_lock_criterion()": f"""
CREATE OR REPLACE FUNCTION cchc_lock_criterion() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF cchc_criteria_set_is_locked(OLD.criteria_set_id) THEN
            RAISE EXCEPTION {_sql_str(MSG_CRITERION)};
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF cchc_criteria_set_is_locked(NEW.criteria_set_id) THEN
            RAISE EXCEPTION {_sql_str(MSG_CRITERION)};
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$""",
        # 8. Grade bands.
        "cchc_lock_gradeband()": f"""
CREATE OR REPLACE FUNCTION cchc_lock_gradeband() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
        SELECT 1 FROM scoring_period WHERE grade_scheme_id = OLD.scheme_id AND status IN ({_STATUSES_SQL})
    ) THEN
        RAISE EXCEPTION {_sql_str(MSG_GRADE_BAND)};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF EXISTS (
            SELECT 1 FROM scoring_period WHERE grade_scheme_id = NEW.scheme_id AND status IN ({_STATUSES_SQL})
        ) THEN
            RAISE EXCEPTION {_sql_str(MSG_GRADE_BAND)};
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$""",
        # 10. TRUNCATE, which fires no row trigger.
        "cchc_lock_truncate()": f"""
CREATE OR REPLACE FUNCTION cchc_lock_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM scoring_period WHERE status IN ({_STATUSES_SQL})) THEN
        RAISE EXCEPTION {_sql_str(MSG_TRUNCATE)};
    END IF;
    RETURN NULL;
END;
$$""",
        # 7. The audit log.
        "cchc_lock_auditentry()": f"""
CREATE OR REPLACE FUNCTION cchc_lock_auditentry() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION {_sql_str(MSG_AUDIT)};
END;
$$""",
    }


# (trigger name, table, events, function)
PG_TRIGGERS = (
    ("cchc_lock_score", "scoring_score", "INSERT OR UPDATE OR DELETE", "cchc_lock_score"),
    ("cchc_lock_evidence", "scoring_evidence", "INSERT OR UPDATE OR DELETE", "cchc_lock_evidence"),
    ("cchc_lock_result", "scoring_result", "INSERT OR UPDATE OR DELETE", "cchc_lock_result"),
    ("cchc_lock_resultversion", "scoring_resultversion", "UPDATE OR DELETE", "cchc_lock_resultversion"),
    ("cchc_lock_period", "scoring_period", "UPDATE OR DELETE", "cchc_lock_period"),
    ("cchc_lock_criterion", "scoring_criterion", "INSERT OR UPDATE OR DELETE", "cchc_lock_criterion"),
    ("cchc_lock_auditentry", "scoring_auditentry", "UPDATE OR DELETE", "cchc_lock_auditentry"),
    ("cchc_lock_gradeband", "scoring_gradeband", "INSERT OR UPDATE OR DELETE", "cchc_lock_gradeband"),
    ("cchc_lock_scorecorrection", "scoring_scorecorrection", "INSERT OR UPDATE OR DELETE", "cchc_lock_scorecorrection"),
)
# Tables whose TRUNCATE (a statement, which fires no row trigger) is refused while anything is published.
PG_TRUNCATE_TABLES = (
    "scoring_score",
    "scoring_evidence",
    "scoring_result",
    "scoring_resultversion",
    "scoring_scorecorrection",
    "scoring_period",
    "scoring_criterion",
    "scoring_criteriaset",
    "scoring_auditentry",
    "scoring_gradeband",
    "scoring_gradescheme",
    "units_unit",
    "units_block",
)


# ------------------------------------------------------------------------------------------ Interface


def frozen_columns(connection, table: str) -> tuple[str, ...]:
    """Every column of `table` as the database has it now, but the ones meant to move."""
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
    return tuple(c for c in columns if c not in MOVABLE.get(table, ()))


def install_sql(connection) -> list[str]:
    """The statements that (re-)create every lock on this connection's database (none on other vendors)."""
    if connection.vendor not in ("sqlite", "postgresql"):
        return []
    version, period = frozen_columns(connection, "scoring_resultversion"), frozen_columns(connection, "scoring_period")
    # A migration older than a locked table installs the locks before that table exists: those wait for the migration
    # that creates it (which installs them again, as every migrate does after its last step).
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    statements = uninstall_sql(connection.vendor, keep_functions=True)
    if connection.vendor == "sqlite":
        triggers = [t for t in _sqlite_triggers(version, period) if t[1] in tables]
        return statements + [_sqlite_create(*trigger) for trigger in triggers]
    statements += [sql.strip() for sql in _pg_functions(version, period).values()]
    statements += [
        f"CREATE TRIGGER {name} BEFORE {events} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()"
        for name, table, events, function in PG_TRIGGERS
        if table in tables
    ]
    statements += [
        f"CREATE TRIGGER cchc_lock_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
        "EXECUTE FUNCTION cchc_lock_truncate()"
        for table in PG_TRUNCATE_TABLES
        if table in tables
    ]
    return statements


def uninstall_sql(vendor: str, *, keep_functions: bool = False) -> list[str]:
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in trigger_names(vendor)]
    if vendor != "postgresql":
        return []
    statements = [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table, _, _ in PG_TRIGGERS]
    statements += [f"DROP TRIGGER IF EXISTS cchc_lock_truncate ON {table}" for table in PG_TRUNCATE_TABLES]
    if not keep_functions:
        # Trigger functions first, then the helpers they call.
        statements += [f"DROP FUNCTION IF EXISTS {signature}" for signature in reversed(_pg_functions((), ()))]
    return statements


def trigger_names(vendor: str) -> list[str]:
    """The triggers install() creates on this vendor (for tests and checks)."""
    if vendor == "sqlite":
        return [name for name, *_ in _sqlite_triggers(("id",), ("id",))]
    if vendor == "postgresql":
        return [name for name, *_ in PG_TRIGGERS] + ["cchc_lock_truncate"] * len(PG_TRUNCATE_TABLES)
    return []


def _execute(connection, statements) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(connection) -> None:
    """Create (or re-create) every lock; idempotent. Nothing on other databases."""
    _execute(connection, install_sql(connection))


def uninstall(connection) -> None:
    """Drop every lock trigger (and on PostgreSQL their functions); idempotent."""
    _execute(connection, uninstall_sql(connection.vendor))


def lift_locks(apps, schema_editor) -> None:
    """A migration's first step when it makes SQLite rebuild a locked table (to add a column): triggers of other
    tables name that table, so every lock is lifted first and installed again by `restore_locks` after."""
    uninstall(schema_editor.connection)


def restore_locks(apps, schema_editor) -> None:
    install(schema_editor.connection)


@contextmanager
def suspended(connection):
    """Lift the locks for the block, and put them back however it ends (tests, benchmark resets)."""
    uninstall(connection)
    try:
        yield
    finally:
        install(connection)
