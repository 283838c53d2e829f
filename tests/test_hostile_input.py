"""Hostile input: what no page sends, but anyone can type. Every route, with each of its URL
parameters and each query parameter it reads set to a number past the database's integers, a
year the calendar cannot shift, garbage or a NUL byte, answers every role without a server
error: a 404, a 400 with the reason, or the page without the filter. Which query parameters a
page reads is recorded while it is opened, so a new one is tried the day it is added.
Deadlines and respondents typed into forms are refused with the reason."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from app.assessments.bulletins import get_or_create, publish
from app.assessments.models import SatisfactionEntry
from app.catalog.models import SiteKind
from app.core.extensions import db
from app.core.refusals import Refused
from app.core.timeutil import LOCAL_TZ, month_of, parse_day, parse_month, shift_month, utcnow
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, Scope
from app.inspections.recording import attach_photo, record_answer, record_note, submit
from app.notices.deadlines import ensure_default_rules
from app.notices.lifecycle import (
    acknowledge,
    draft_notices,
    issue,
    raise_warning,
    reject_fix,
    report_fix,
    set_deadline,
)
from app.notices.models import ItemStatus, Notice, NoticeItem, WarningReason
from tests.helpers import IsolatedClient, jpeg, login

ROLES = ("admin", "manager", "inspector", "contractor", "anonymous")
HUGE = "99999999999999999999"
INT_PAST = [HUGE, str(2**63), str(2**31)]  # past SQLite's integers, and PostgreSQL's INTEGER
# URL parameters by converter or name. An <int:...> matches no sign, so -1 needs no trying;
# every <int:...> is one converter, whose bound test_ids_... tries at 2**31.
PATH_VALUES = {
    int: [HUGE],
    "month": ["0001-01", "9999-12", HUGE],
    "due": ["0001-01-01", "9999-12-31"],
    str: [HUGE, "\x00"],
}
QUERY_VALUES = [HUGE, str(2**31), "-1", "abc", "", "0001-01", "9999-12", "0001-01-01"]
QUERY_VALUES += ["9999-12-31", "1e9", "\x00"]
# A page that reads the first reads more with the second: chosen dates, for a custom period.
READ_MORE = {"period": {"period": "custom", "from": "2025-01-01", "to": "2025-01-31"}}
# Parameters the pages are known to read: if recording them broke, the sweep would be empty.
KNOWN = {"page", "version", "contractor", "line", "site", "point", "inspector", "month"}
KNOWN |= {"at", "from", "to", "period", "status", "parent", "category"}
DEADLINES = ["0001-01-01T00:00", "9999-12-31T23:59", "abc", "", "\x00", "2024-02-30T00:00"]
NUMBERS = [HUGE, str(2**31), "-1", "abc", "", "1e9", "\x00", "100001"]

asked: set[str] = set()


class RecordingArgs(ImmutableMultiDict):
    """A query string that notes each name the code asks it for."""

    def __getitem__(self, key):
        asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        asked.add(key)
        return super().__contains__(key)


@pytest.fixture
def world(cast, make_site, make_check_point) -> dict:
    """The cast, and one of each record a URL names: a submitted inspection of a lobby with
    a photo; the contractor's notice from it, issued, acknowledged, a fix reported, and an
    exit warning; a draft notice from a second inspection; last month's published bulletin."""
    ensure_default_rules()
    lobby = make_site("大堂", SiteKind.AREA, make_site("机关大院", SiteKind.COMPOUND))
    floor = make_check_point(line_code="CLN", category="公共区域", title="大堂地面")
    make_check_point(line_code="CLN", category="公共区域", title="大堂墙面")
    cleaning = floor.category.service_line
    cast.own.service_lines, cast.own.sites = [cleaning], [lobby]

    def failed_inspection():
        checked = start_inspection(Plan(Scope.STRIP, lobby, service_line=cleaning), cast.inspector)
        failed, *passed = checked.items
        record_answer(failed, Answer.FAIL, cast.inspector)
        record_note(failed, "地面有水渍", cast.inspector)
        attach_photo(failed, jpeg(), cast.inspector)
        for item in passed:
            record_answer(item, Answer.PASS, cast.inspector)
        submit(checked, cast.inspector)
        return checked

    checked = failed_inspection()
    (notice,) = draft_notices(checked, cast.inspector)
    issue(notice, cast.inspector)
    acknowledge(notice, cast.owner)
    report_fix(notice.items[0], cast.owner, "已整改", [jpeg()])
    warning = raise_warning(notice, WarningReason.LONG_OVERDUE, utcnow())
    (draft,) = draft_notices(failed_inspection(), cast.inspector)
    bulletin = get_or_create(shift_month(month_of(utcnow()), -1))
    publish(bulletin, cast.manager)
    db.session.commit()
    return {
        "inspection_id": checked.id,
        "photo_id": checked.items[0].photos[0].id,
        "finding_id": checked.findings[0].id,
        "notice_id": notice.id,
        "item_id": notice.items[0].id,
        "draft_notice_id": draft.id,
        "warning_id": warning.id,
        "month": bulletin.month,
        "site_id": lobby.id,
        "line_id": cleaning.id,
        "contractor_id": cast.own.id,
        "user_id": cast.inspector.id,
    }


@pytest.fixture
def clients(app, cast, world):
    """A client per role, signed in; the app records the query parameters pages read."""
    app.request_class = type("RecordingRequest", (app.request_class,), {})
    app.request_class.parameter_storage_class = RecordingArgs
    app.test_client_class = IsolatedClient
    made = {role: app.test_client() for role in ROLES}
    for role in ROLES[:-1]:
        login(made[role], cast.by_role(role))
    return made


def path_with(rule, world, **hostile) -> str:
    """The rule's path, its parameters taken from the world unless given."""
    values = {name: world.get(name, 1) for name in _from_the_path(rule)} | hostile
    if "part" in rule.arguments:
        values["part"] = "signature"
    _domain, path = rule.build(values, append_unknown=False)
    return path


def _from_the_path(rule) -> set[str]:
    """The rule's parameters a visitor writes (not those its defaults fix)."""
    return rule.arguments - set(rule.defaults or {})


def path_values(rule, name) -> list[str]:
    if isinstance(rule._converters[name], IntegerConverter):
        return PATH_VALUES[int]
    return PATH_VALUES.get(name, PATH_VALUES[str])


def server_error(client, method, url, **kwargs) -> str | None:
    """What went wrong, if the answer was a server error (the test app raises it)."""
    try:
        status = client.open(url, method=method, **kwargs).status_code
    except Exception as error:  # reported with the request that raised it
        status = f"{type(error).__name__}: {str(error)[:80]}"
    else:
        if status < 500:
            return None
    return f"{method} {url} {kwargs.get('query_string') or kwargs.get('data') or ''} → {status}"


def test_every_url_parameter_survives_hostile_values(app, world, clients):
    wrong, tried = set(), 0
    for rule in app.url_map.iter_rules():
        for name in _from_the_path(rule) - {"part", "filename"}:
            for value in path_values(rule, name):
                path = path_with(rule, world, **{name: value})
                for method in rule.methods - {"HEAD", "OPTIONS"}:
                    for role in ROLES:
                        tried += 1
                        wrong.add(server_error(clients[role], method, path))
    assert tried > 500
    assert wrong == {None}, "\n".join(sorted(filter(None, wrong)))


def test_every_query_parameter_survives_hostile_values(app, world, clients):
    """Each page is opened as each role, recording the parameters it reads; each way a page
    reads them (roles that open it and read the same ones read them alike) is then tried
    with every hostile value in each of them."""
    wrong, seen = set(), set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = path_with(rule, world)
        ways, swept = set(), set()  # on this page: the sets of parameters tried, and all
        contexts = [{}]
        for context in contexts:
            for role in ROLES:
                asked.clear()
                if clients[role].get(path, query_string=context).status_code != 200:
                    continue
                names = frozenset(asked - swept)
                if not names or names in ways:
                    continue
                ways.add(names)
                more = [READ_MORE[name] for name in sorted(names & READ_MORE.keys())]
                contexts += [extra for extra in more if extra not in contexts]
                for name in sorted(names):
                    for value in QUERY_VALUES:
                        query = context | {name: value}
                        wrong.add(server_error(clients[role], "GET", path, query_string=query))
            swept |= set().union(*ways)
        seen |= swept
    assert KNOWN <= seen, "pages no longer read these, or reading is no longer recorded"
    assert wrong <= {None}, "\n".join(sorted(filter(None, wrong)))


def posted_forms(world) -> list[tuple[str, dict, str, list[str]]]:
    """(path, the form's other fields, the field made hostile, its values)."""
    month, contractor = world["month"], world["contractor_id"]
    satisfaction = f"/assessments/{month}/satisfaction"
    route = {"sites": world["site_id"], "starts_on": "2027-03-01", "party": "internal"}
    route |= {"inspectors": world["user_id"]}
    reviewed = route | {"plans-0-frequency": "daily", "plans-0-chosen": "y"}
    reviewed |= {"plans-0-name": "保洁", "plans-0-starts_on": "2027-03-01", "plans-0-tier": "daily"}
    return [
        ("/plans/from-frequencies", route, "service_line", NUMBERS),
        ("/plans/from-frequencies/save", reviewed, "service_line", NUMBERS),
        ("/plans/from-frequencies/save", reviewed, "plans-0-day_of_month", NUMBERS),
        (
            f"/notices/{world['draft_notice_id']}/deadline",
            {"reason": "节假日"},
            "deadline",
            DEADLINES,
        ),
        (
            f"/notices/{world['notice_id']}/items/{world['item_id']}/verify",
            {"decision": "reject", "reason": "未到位"},
            "new_deadline",
            DEADLINES,
        ),
        (satisfaction, {"contractor_id": contractor, "rate": "95"}, "respondents", NUMBERS),
        (satisfaction, {"rate": "95", "respondents": "40"}, "contractor_id", NUMBERS),
        (
            f"/assessments/{month}/bonus",
            {"points": "1", "reason": "表扬", "kind": "praise"},
            "contractor_line",
            [f"{value}:{world['line_id']}" for value in NUMBERS],
        ),
        (f"/notices/{world['draft_notice_id']}/findings", {}, "finding_id", NUMBERS),
        ("/self-checks/new", {}, "site", NUMBERS),
    ]


def test_posted_deadlines_respondents_and_ids_survive_hostile_values(world, clients):
    wrong = set()
    for path, fields, name, values in posted_forms(world):
        for value in values:
            for role in ROLES:
                data = fields | {name: value}
                wrong.add(server_error(clients[role], "POST", path, data=data))
    assert wrong == {None}, "\n".join(sorted(filter(None, wrong)))


def without_tokens(page: str) -> str:
    """The page without its CSRF tokens, which are signed to the second they were made."""
    return re.sub(r'"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{20,}"', '"token"', page)


def test_ids_and_pages_past_the_database_integers_find_nothing(world, clients):
    manager = clients["manager"]
    for past in INT_PAST:
        assert manager.get(f"/inspections/{past}").status_code == 404
        assert manager.get(f"/notices/{past}.pdf").status_code == 404
    assert manager.get(f"/inspections/{2**31 - 1}").status_code == 404  # a route, but no record
    # as a filter or a page, a number past them is read as none, like a word
    for query in ({"contractor": HUGE}, {"page": HUGE}):
        answer = manager.get("/notices", query_string=query)
        assert answer.status_code == 200
        as_a_word = manager.get("/notices", query_string=dict.fromkeys(query, "x"))
        assert without_tokens(answer.text) == without_tokens(as_a_word.text)
    notice_pdf = f"/notices/{world['notice_id']}.pdf"
    latest = manager.get(notice_pdf).data
    assert manager.get(notice_pdf, query_string={"version": HUGE}).data == latest
    assert manager.get(notice_pdf, query_string={"version": 2**31 - 1}).status_code == 404


def test_months_outside_the_years_kept_are_not_found(world, clients):
    manager = clients["manager"]
    for month in ("0001-01", "1999-12", "2101-01", "9999-12", "2024-1", "2024-01%0A"):
        for page in (
            "/assessments/{}",
            "/assessments/{}.xlsx",
            "/bulletins/{}",
            "/bulletins/{}.pdf",
        ):
            assert manager.get(page.format(month)).status_code == 404, page.format(month)
    assert manager.get("/assessments/2000-01").status_code == 200
    assert manager.get("/bulletins/2100-12.pdf").status_code == 200
    assert manager.get("/plans/missed", query_string={"month": "0001-01"}).status_code == 404
    assert manager.get("/inspections", query_string={"month": "9999-12"}).status_code == 400


def test_analysis_says_why_it_refuses_a_period(world, clients):
    refusals = [
        ({"at": "0001-01"}, "请选择2000-01至2100-12之间的月份。"),
        ({"period": "year", "at": "9999-12"}, "请选择2000-01至2100-12之间的月份。"),
        ({"period": "custom", "from": "0001-01-01", "to": "2025-01-01"}, "2000-01-01"),
        ({"period": "custom", "from": "2025-01-01", "to": "2025-02-30"}, "2100-12-31"),
        ({"period": "custom", "from": "2025-02-01", "to": "2025-01-01"}, "不超过三年"),
        ({"period": "decade"}, "请选择月、季度、年或自选日期。"),
        ({"scope": "everything"}, "请从列表中选择筛选条件。"),
    ]
    for query, reason in refusals:
        for page in ("/analysis", "/analysis.xlsx", "/analysis/findings"):
            answer = clients["contractor"].get(page, query_string=query)
            assert answer.status_code == 400, (page, query)
            assert reason in answer.text, (page, query)


def flashed(client, response) -> str:
    assert response.status_code == 302
    return client.get(response.location).text


def test_a_deadline_in_year_1_or_more_than_a_year_away_is_refused_with_the_reason(world, clients):
    inspector = clients["inspector"]
    draft = db.session.get(Notice, world["draft_notice_id"])
    before = draft.deadline
    in_a_year = (utcnow() + timedelta(days=365, hours=-1)).astimezone(LOCAL_TZ)
    cases = {
        "0001-01-01T00:00": "期限必须晚于当前时间。",
        "9999-12-31T23:59": "期限最多只能设在一年之内。",
        (in_a_year + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"): "期限最多只能设在一年之内。",
    }
    for typed, reason in cases.items():
        response = inspector.post(
            f"/notices/{draft.id}/deadline", data={"deadline": typed, "reason": "节假日"}
        )
        assert reason in flashed(inspector, response), typed
        db.session.expire_all()
        assert db.session.get(Notice, draft.id).deadline == before
    item_url = f"/notices/{world['notice_id']}/items/{world['item_id']}/verify"
    for typed, reason in cases.items():
        data = {"decision": "reject", "reason": "未到位", "new_deadline": typed}
        assert reason in flashed(inspector, inspector.post(item_url, data=data)), typed
    typed = in_a_year.strftime("%Y-%m-%dT%H:%M")
    response = inspector.post(
        item_url, data={"decision": "reject", "reason": "未到位", "new_deadline": typed}
    )
    assert "退回" in flashed(inspector, response)
    db.session.expire_all()
    assert db.session.get(NoticeItem, world["item_id"]).status == ItemStatus.OPEN


def test_a_deadline_set_by_hand_lies_within_a_year(cast, world):
    inspector = cast.inspector
    draft = db.session.get(Notice, world["draft_notice_id"])
    now = utcnow()
    with pytest.raises(Refused, match="一年"):
        set_deadline(draft, now + timedelta(days=366), "采购周期长", inspector, now=now)
    set_deadline(draft, now + timedelta(days=365), "采购周期长", inspector, now=now)
    item = db.session.get(NoticeItem, world["item_id"])
    with pytest.raises(Refused, match="一年"):
        reject_fix(item, inspector, "未到位", now + timedelta(days=366), now=now)


def test_respondents_past_the_limit_are_refused_with_the_reason(world, clients):
    manager = clients["manager"]
    url = f"/assessments/{world['month']}/satisfaction"
    for respondents in (HUGE, str(2**31), "100001", "-1", "1e9"):
        data = {"contractor_id": world["contractor_id"], "rate": "95", "respondents": respondents}
        page = flashed(manager, manager.post(url, data=data))
        assert "参评人数须为0至100000之间的整数。" in page, respondents
    assert db.session.scalar(sa.select(sa.func.count(SatisfactionEntry.id))) == 0
    data = {"contractor_id": world["contractor_id"], "rate": "95", "respondents": "100000"}
    manager.post(url, data=data)
    assert db.session.scalar(sa.select(SatisfactionEntry.respondents)) == 100000


@pytest.mark.parametrize("text", ["2024-1", "2024-01\n", "٢٠٢٤-٠١", "1999-12", "2101-01", ""])
def test_a_month_from_outside_is_four_ascii_digits_a_dash_and_two(text):
    with pytest.raises(ValueError):
        parse_month(text)


def test_months_and_days_within_the_years_kept_are_taken():
    assert parse_month("2000-01") == "2000-01" and parse_month("2100-12") == "2100-12"
    assert parse_day("2100-12-31").year == 2100
    for day in ("1999-12-31", "2101-01-01", "0001-01-01", "9999-12-31"):
        with pytest.raises(ValueError):
            parse_day(day)
