"""Notifications with real parts: a local SMTP server receives the mail, a local HTTP server
speaking the robots' APIs (signatures checked, error codes, rate limits) receives the rest."""

import logging
import logging.handlers
import re
import unicodedata
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.models import Role, User
from app.core.audit import AuditEvent
from app.core.extensions import db
from app.core.logs import WORKER_LOG
from app.core.timeutil import as_utc, utcnow
from app.jobs.clock import run_due_jobs
from app.notices.lifecycle import acknowledge, escalate, issue, report_fix
from app.notify.access import hears_as_manager, keeps_robots, robot_owners, robots_kept_by
from app.notify.delivery import ROBOT_REMOVED, deliver_due
from app.notify.events import SUPERVISION_TEAM, announce
from app.notify.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EmailChoice,
    EventKind,
    Notification,
    Robot,
)
from tests.helpers import jpeg, login
from tests.notices.test_notices import drafts, inspection, kitchen  # noqa: F401
from tests.robot_server import MailBox, RobotServer


@pytest.fixture
def robots():
    with RobotServer() as server:
        yield server


@pytest.fixture
def mailbox():
    with MailBox() as box:
        yield box


@pytest.fixture
def app_config(app_config, robots, mailbox):
    return {
        **app_config,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": mailbox.port,
        "ROBOT_HOSTS": (robots.host,),
        "PUBLIC_URL": "https://xunjian.example.gov.cn",
    }


def add_robot(server, contractor=None, service="wecom", token="tok", secret=""):
    server.secrets[token] = secret
    robot = Robot(
        contractor_id=contractor.id if contractor else None,
        service=Channel(service),
        name=f"{service}-{token}",
        webhook=server.url(service, token),
        secret=secret,
    )
    db.session.add(robot)
    db.session.commit()
    return robot


def issued_notice(cast, drafts):  # noqa: F811
    notice = drafts[cast.own.id]
    issue(notice, cast.inspector)
    db.session.commit()
    return notice


def test_issuing_tells_the_contractor_in_the_inbox_by_mail_and_in_its_group(
    cast,
    kitchen,  # noqa: F811
    drafts,  # noqa: F811
    robots,
    mailbox,
):
    cast.owner.email = "boss@caterer.example"
    add_robot(robots, cast.own, "wecom", "caterer-group")
    add_robot(robots, None, "feishu", "team", secret="s3cret")
    notice = issued_notice(cast, drafts)

    inbox = db.session.scalars(sa.select(Notification)).all()
    assert sorted(n.user_id for n in inbox) == [cast.owner.id, cast.colleague.id], "all its users"
    done = deliver_due()
    assert done.sent == 2 and done.failed == 0

    ((to, mail),) = mailbox.received()
    assert to == ["boss@caterer.example"]
    body = mail.get_content()
    assert notice.number in body and f"https://xunjian.example.gov.cn/notices/{notice.id}" in body
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", body), "the deadline, in local time"
    (text,) = robots.texts("caterer-group")
    assert notice.number in text and "整改通知书" in text
    assert robots.texts("team") == [], "the supervision team's group hears of other things"


def test_a_rolled_back_change_tells_nobody(cast, drafts):  # noqa: F811
    issue(drafts[cast.own.id], cast.inspector)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0


@pytest.mark.parametrize("service", ["wecom", "dingtalk", "feishu"])
def test_each_robot_api_is_spoken_and_signed(cast, drafts, robots, service):  # noqa: F811
    add_robot(robots, cast.own, service, "g1", secret="sign-me")
    issued_notice(cast, drafts)
    assert deliver_due().sent == 1
    assert len(robots.texts("g1")) == 1 and robots.refused == []


def test_a_wrong_signature_is_a_failure_though_the_answer_is_200(
    cast,
    kitchen,  # noqa: F811
    drafts,  # noqa: F811
    robots,
):
    robot = add_robot(robots, cast.own, "dingtalk", "g2", secret="right")
    robot.secret = "wrong"
    db.session.commit()
    issued_notice(cast, drafts)
    done = deliver_due()
    assert done.sent == 0 and done.retrying == 1
    delivery = db.session.scalar(sa.select(Delivery))
    assert delivery.status == DeliveryStatus.PENDING and "310000" in delivery.last_error
    assert as_utc(delivery.next_attempt_at) > utcnow(), "tried again after a pause"
    assert robot.webhook not in delivery.last_error


def test_after_a_day_of_failures_a_message_is_failed_and_can_be_sent_again(
    client,
    cast,
    kitchen,  # noqa: F811
    drafts,  # noqa: F811
    robots,
    make_user,
):
    add_robot(robots, cast.own, "wecom", "down")
    robots.failing.add("down")
    issued_notice(cast, drafts)
    delivery = db.session.scalar(sa.select(Delivery))
    delivery.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert deliver_due().failed == 1
    assert delivery.status == DeliveryStatus.FAILED and len(delivery.tries) == 1

    login(client, make_user(Role.ADMIN))
    page = client.get("/admin/deliveries").text
    assert "失败" in page and "down" not in page.split("wecom-down")[0][-5:]
    robots.failing.clear()
    assert client.post(f"/admin/deliveries/{delivery.id}/resend").status_code == 302
    assert deliver_due().sent == 1
    db.session.refresh(delivery)
    assert delivery.status == DeliveryStatus.SENT and len(delivery.tries) == 2


def test_a_robot_is_paced_and_its_rate_limit_answer_waits_instead_of_failing(
    app,
    cast,
    kitchen,  # noqa: F811
    drafts,  # noqa: F811
    robots,
):
    app.config["ROBOT_MESSAGES_PER_MINUTE"] = 3
    robot = add_robot(robots, cast.own, "wecom", "busy")
    robots.pace = 2  # the service is stricter than our pace: it answers 45009 once
    issued_notice(cast, drafts)
    (first,) = db.session.scalars(sa.select(Delivery)).all()
    for _ in range(4):
        db.session.add(Delivery(event_id=first.event_id, channel=Channel.WECOM, robot=robot))
    db.session.commit()
    done = deliver_due()
    assert done.sent == 2, "as many as the service takes"
    assert done.paced == 3 and done.failed == 0, "one answered 45009, two held back by us"
    waiting = db.session.scalars(
        sa.select(Delivery).where(Delivery.status == DeliveryStatus.PENDING)
    ).all()
    assert len(waiting) == 3 and all(as_utc(d.next_attempt_at) > utcnow() for d in waiting)
    assert len(robots.texts("busy")) == 2


def test_a_failing_channel_never_holds_up_the_others(
    cast,
    kitchen,  # noqa: F811
    drafts,  # noqa: F811
    robots,
    mailbox,
):
    cast.owner.email = "boss@caterer.example"
    for token in ("a", "b", "c"):
        add_robot(robots, cast.own, "wecom", token)
        robots.failing.add(token)
    robots.failing.discard("c")
    issued_notice(cast, drafts)
    done = deliver_due()
    assert len(mailbox.received()) == 1, "the e-mail went"
    assert robots.texts("c"), "the working robot too"
    assert done.sent == 2


def test_only_official_or_allowed_hosts_are_called(app, cast, drafts):  # noqa: F811
    robot = Robot(
        contractor_id=cast.own.id,
        service=Channel.WECOM,
        name="elsewhere",
        webhook="https://evil.example.com/cgi-bin/webhook/send?key=secret-key",
    )
    db.session.add(robot)
    db.session.commit()
    issued_notice(cast, drafts)
    deliver_due()
    delivery = db.session.scalar(sa.select(Delivery))
    assert delivery.last_error == "host not allowed"
    assert "secret-key" not in delivery.last_error


def test_managers_and_the_contractor_keep_robots_whose_address_stays_secret(
    client,
    cast,
    kitchen,  # noqa: F811
    robots,
):
    login(client, cast.owner)
    webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdef-123456-SECRET"
    form = {"service": "wecom", "owner": cast.own.id, "name": "禾香群", "webhook": webhook}
    assert client.post("/robots", data=form).status_code == 302
    page = client.get("/robots").text
    assert "禾香群" in page and "SECRET" not in page and "abcdef" not in page
    assert "CRET" in page, "the last four, to tell robots apart"
    evil = {**form, "webhook": "https://attacker.example/hook"}
    assert client.post("/robots", data=evil).status_code == 422
    other = {**form, "owner": 0}
    assert client.post("/robots", data=other).status_code == 422, "not the team's robot"


def test_a_fix_report_tells_those_who_verify_and_a_rejection_the_contractor(
    cast,
    kitchen,  # noqa: F811
    drafts,  # noqa: F811
):
    notice = issued_notice(cast, drafts)
    acknowledge(notice, cast.owner)
    report_fix(notice.items[0], cast.owner, "已整改", [jpeg()])
    db.session.commit()
    kinds = {(n.event.kind, n.user_id) for n in db.session.scalars(sa.select(Notification)).all()}
    assert (EventKind.FIX_REPORTED, cast.inspector.id) in kinds


def test_the_clock_reminds_once_before_the_deadline_and_marks_overdue(
    cast,
    kitchen,  # noqa: F811
    drafts,  # noqa: F811
):
    notice = issued_notice(cast, drafts)
    soon = as_utc(notice.deadline) - timedelta(hours=2)
    run_due_jobs(soon)
    run_due_jobs(soon + timedelta(minutes=6))
    reminders = db.session.scalars(
        sa.select(Notification)
        .join(Notification.event)
        .where(sa.literal_column("notify_events.kind") == EventKind.DEADLINE_NEAR.value)
    ).all()
    assert sorted(r.user_id for r in reminders) == [cast.owner.id, cast.colleague.id], (
        "once per user and deadline, however often the clock runs"
    )
    run_due_jobs(as_utc(notice.deadline) + timedelta(minutes=10))
    db.session.refresh(notice)
    assert notice.overdue_at is not None, "escalation runs without cron"
    told = {n.user_id for n in db.session.scalars(sa.select(Notification)).all()}
    assert cast.manager.id in told and cast.owner.id in told


def test_a_user_chooses_which_kinds_come_by_mail(
    client,
    cast,
    kitchen,  # noqa: F811
    drafts,  # noqa: F811
):
    user = cast.owner
    login(client, user)
    kinds = [k.value for k in EventKind if k != EventKind.NOTICE_ISSUED]
    response = client.post(
        "/account/notifications", data={"email": "me@caterer.example", "email_kinds": kinds}
    )
    assert response.status_code == 302
    assert db.session.get(EmailChoice, (user.id, EventKind.NOTICE_ISSUED)).wanted is False
    issued_notice(cast, drafts)
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0, "no e-mail of this"
    mine = sa.select(sa.func.count(Notification.id)).where(Notification.user_id == user.id)
    assert db.session.scalar(mine) == 1, "inbox still"
    bad = client.post("/account/notifications", data={"email": "not an address"})
    assert bad.status_code == 422


def test_the_inbox_its_bell_and_marking_read(client, cast, drafts):  # noqa: F811
    notice = issued_notice(cast, drafts)
    login(client, cast.owner)
    home = client.get("/").text
    assert re.search(r'class="bell"[^>]*>收件箱 <span class="badge" aria-label="1 条未读">1<', home)
    inbox = client.get("/inbox").text
    assert notice.number in inbox and "未读" in inbox
    (note,) = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == cast.owner.id)
    ).all()
    opened = client.get(f"/inbox/{note.id}")
    assert opened.status_code == 302 and opened.location == f"/notices/{notice.id}"
    db.session.refresh(note)
    assert note.read_at is not None
    assert 'class="badge"' not in client.get("/inbox").text.split("</header>")[0]
    client.post("/logout")
    login(client, cast.colleague)
    assert 'aria-label="1 条未读"' in client.get("/").text, "the colleague's own copy is unread"
    assert client.get(f"/inbox/{note.id}").status_code == 404, "not theirs"
    assert client.post("/inbox/read-all").status_code == 302


def test_the_notices_timeline_proves_how_and_when_it_reached_the_contractor(
    client,
    cast,
    kitchen,  # noqa: F811
    drafts,  # noqa: F811
    robots,
):
    add_robot(robots, cast.own, "wecom", "proof")
    notice = issued_notice(cast, drafts)
    deliver_due()
    login(client, cast.owner)
    client.get(f"/notices/{notice.id}")
    client.get(f"/notices/{notice.id}")
    history = client.get(f"/notices/{notice.id}").text.split('id="history-head"')[1]
    assert "收件箱 发给" in history and "企业微信群机器人 发给 wecom-proof" in history
    opened = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "notice_opened")
    ).all()
    assert len(opened) == 1 and opened[0].actor_id == cast.owner.id
    assert "承包单位首次查看" in history


def test_escalation_from_cron_tells_people_too(cast, drafts):  # noqa: F811
    notice = issued_notice(cast, drafts)
    marked, _warnings = escalate(as_utc(notice.deadline) + timedelta(hours=1))
    db.session.commit()
    assert marked == [notice]
    told = db.session.scalars(sa.select(Notification)).all()
    assert EventKind.NOTICE_OVERDUE in {n.event.kind for n in told}


# --- one bad message never jams the outbox -----------------------------------------------

HOSTILE_TEXTS = {
    "carriage return": "地面湿滑\rBcc: everyone@example.com",
    "line feed": "地面湿滑\nBcc: everyone@example.com",
    "line separator": "地面湿滑\u2028第二行",
    "next line": "地面湿滑\x85第二行",
    "nul": "地面\x00湿滑",
    "10,000 characters": "湿" * 10_000,
    "emoji": "厕所太脏 🤢👨‍👩‍👧",
    "right to left": "\u202eلا يعمل\u200f المصعد",
}
LINK = "https://xunjian.example.gov.cn/complaints"
UNSAFE_IN_A_LINE = {"Cc", "Zl", "Zp", "Cs"}


def complaint_told(text: str, users=()):
    """A public complaint's subject, as the supervision team hears of it."""
    event = announce(
        EventKind.COMPLAINT_RECEIVED,
        {"reference": "TS-0001", "subject": text},
        "/complaints",
        users=list(users),
        robots_of=[SUPERVISION_TEAM],
    )
    db.session.commit()
    return event


def deliveries_of(event) -> list[Delivery]:
    return db.session.scalars(sa.select(Delivery).where(Delivery.event_id == event.id)).all()


@pytest.mark.parametrize("text", HOSTILE_TEXTS.values(), ids=HOSTILE_TEXTS.keys())
def test_any_text_goes_out_safely_by_mail_and_to_every_robot(cast, robots, mailbox, text):
    cast.manager.email = "manager@bureau.example"
    for service in ("wecom", "dingtalk", "feishu"):
        add_robot(
            robots, None, service, f"team-{service}", secret="" if service == "wecom" else "s"
        )
    event = complaint_told(text, users=[cast.manager])

    done = deliver_due()

    assert done.sent == 4 and done.touched == 4
    assert {d.status for d in deliveries_of(event)} == {DeliveryStatus.SENT}
    ((_to, mail),) = mailbox.received()
    subject = mail["Subject"]
    assert subject.startswith("收到投诉（TS-0001）") and len(subject) <= 120
    assert not {unicodedata.category(c) for c in subject} & UNSAFE_IN_A_LINE
    assert "\u202e" not in subject, "no override turns the rest of the line around"
    assert mail["Bcc"] is None, "no header slipped in"
    body = mail.get_content()
    assert body.splitlines()[-1] == LINK and "\x00" not in body
    for service in ("wecom", "dingtalk", "feishu"):
        (said,) = robots.texts(f"team-{service}")
        assert said.startswith("收到投诉（TS-0001）") and said.endswith(LINK)
        assert len(said.encode()) <= 2048 and "\x00" not in said


def test_text_stays_readable(cast, robots, mailbox):
    cast.manager.email = "manager@bureau.example"
    add_robot(robots, None, "wecom", "team")
    complaint_told("厕所太脏 🤢 \u200fالمصعد\r\n电梯坏了", users=[cast.manager])
    complaint_told("湿" * 10_000, users=[cast.manager])
    deliver_due()

    (short, long) = sorted(mailbox.received(), key=lambda m: len(m[1]["Subject"]))
    assert short[1]["Subject"] == "收到投诉（TS-0001）：厕所太脏 🤢 \u200fالمصعد 电梯坏了"
    assert long[1]["Subject"].endswith("湿…") and len(long[1]["Subject"]) == 120
    assert "湿" * 10_000 in long[1].get_content(), "the whole text in the e-mail itself"
    (_first, cut) = robots.texts("team")
    assert cut.endswith(f"湿…\n{LINK}"), "shortened before its link"


NESTED_JSON = b"[" * 100_000 + b"]" * 100_000  # too deep for any JSON decoder


@pytest.fixture
def worker_log(app):
    """What the worker logs during the test (once the app has set its logs up)."""
    kept = logging.handlers.BufferingHandler(capacity=1000)
    logging.getLogger(WORKER_LOG).addHandler(kept)
    yield kept.buffer
    logging.getLogger(WORKER_LOG).removeHandler(kept)


def test_a_bad_message_is_its_own_failure_and_the_others_in_its_pass_still_go(
    client, cast, robots, mailbox, make_user, worker_log
):
    cast.manager.email = "manager@bureau.example"
    cast.inspector.email = "inspector@bureau.example\r\nBcc: everyone@example.com"
    add_robot(robots, None, "wecom", "team")
    add_robot(robots, cast.own, "feishu", "deep")
    robots.raw_answers["deep"] = ("application/json", NESTED_JSON)
    first = announce(  # its messages lead the batch
        EventKind.COMPLAINT_RECEIVED,
        {"reference": "TS-0001", "subject": "电梯坏了"},
        "/complaints",
        users=[cast.inspector],
        robots_of=[cast.own.id],
    )
    complaint_told("没有热水", users=[cast.manager])
    complaint_told("地面湿滑", users=[cast.manager])
    done = deliver_due()

    assert done.sent == 4 and done.retrying == 2, "the others went, by mail and robot"
    assert len(mailbox.received()) == 2 and len(robots.texts("team")) == 2
    bad_address, deep = sorted(deliveries_of(first), key=lambda d: d.channel != Channel.EMAIL)
    assert bad_address.last_error.startswith("e-mail:")
    assert deep.last_error.startswith("RecursionError")
    assert robots.url("feishu", "deep") not in deep.last_error
    for delivery in (bad_address, deep):
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
        assert len(delivery.tries) == 1 and as_utc(delivery.next_attempt_at) > utcnow()
    (logged,) = worker_log
    assert "RecursionError" in logged.traceback, "with where it came from"

    for delivery in (bad_address, deep):
        delivery.created_at = utcnow() - timedelta(hours=25)
        delivery.next_attempt_at = utcnow()
    db.session.commit()
    assert deliver_due().failed == 2, "given up in the end, like any failure"
    login(client, make_user(Role.ADMIN))
    page = client.get("/admin/deliveries").text
    assert "RecursionError" in page and "e-mail:" in page


@pytest.mark.parametrize(
    "answer",
    [
        ("application/json", b"[]"),
        ("application/json", b"42"),
        ("application/json", b'"ok"'),
        ("application/json", b'{"errcode": [0]}'),
        ("application/json", b"{not json"),
        ("text/html", b"<html><body>502 Bad Gateway</body></html>"),
    ],
    ids=["list", "number", "string", "odd code", "invalid", "html"],
)
def test_a_robot_answer_that_is_no_json_object_is_that_messages_failure(
    cast, robots, mailbox, answer
):
    cast.manager.email = "manager@bureau.example"
    add_robot(robots, None, "wecom", "odd")
    add_robot(robots, None, "feishu", "fine")
    robots.raw_answers["odd"] = answer
    event = complaint_told("电梯坏了", users=[cast.manager])

    done = deliver_due()

    assert done.sent == 2 and done.retrying == 1
    (odd,) = [d for d in deliveries_of(event) if d.robot and d.robot.name == "wecom-odd"]
    assert odd.status == DeliveryStatus.PENDING and odd.attempts == 1 and odd.last_error
    assert robots.texts("fine") and mailbox.received()


def test_a_sent_message_is_never_sent_again(client, cast, robots, make_user):
    add_robot(robots, None, "wecom", "team")
    (delivery,) = deliveries_of(complaint_told("电梯坏了"))
    deliver_due()
    assert delivery.status == DeliveryStatus.SENT

    login(client, make_user(Role.ADMIN))
    refused = client.post(f"/admin/deliveries/{delivery.id}/resend", follow_redirects=True)
    assert "只有发送失败的消息才能重新发送" in refused.text
    db.session.refresh(delivery)
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 0
    assert deliver_due().touched == 0 and len(robots.texts("team")) == 1, "sent once"


def test_a_robot_rate_limited_for_ever_is_given_up_in_the_end(cast, robots):
    add_robot(robots, None, "wecom", "team")
    robots.pace = 0  # every message answered 45009
    (delivery,) = deliveries_of(complaint_told("电梯坏了"))
    assert deliver_due().paced == 1, "a rate limit waits, at first"
    assert delivery.status == DeliveryStatus.PENDING and "45009" in delivery.last_error

    delivery.created_at = utcnow() - timedelta(hours=25)
    delivery.next_attempt_at = utcnow()
    db.session.commit()
    assert deliver_due().failed == 1, "but not past the day a failure is tried for"
    assert delivery.status == DeliveryStatus.FAILED and len(delivery.tries) == 2


def test_removing_a_robot_keeps_the_proof_of_what_it_was_sent(
    client,
    cast,
    kitchen,  # noqa: F811
    drafts,  # noqa: F811
    robots,
    make_user,
):
    robot = add_robot(robots, cast.own, "wecom", "caterer")
    notice = issued_notice(cast, drafts)
    deliver_due()
    (sent,) = db.session.scalars(sa.select(Delivery).where(Delivery.robot_id == robot.id)).all()
    announce(
        EventKind.BULLETIN_PUBLISHED,
        {"month": "2026-11"},
        "/bulletins",
        users=[],
        robots_of=[cast.own.id],
    )
    db.session.commit()

    login(client, cast.owner)
    assert client.post(f"/robots/{robot.id}/delete").status_code == 302
    assert "wecom-caterer" not in client.get("/robots").text, "gone from the group's robots"
    assert client.post(f"/robots/{robot.id}/delete").status_code == 404

    db.session.expire_all()
    assert db.session.get(Delivery, sent.id).status == DeliveryStatus.SENT, "the proof stays"
    assert robots.url("wecom", "caterer") not in db.session.get(Robot, robot.id).webhook
    assert deliver_due().failed == 1, "what waited for it is not sent to a removed robot"
    assert len(robots.texts("caterer")) == 1
    history = client.get(f"/notices/{notice.id}").text.split('id="history-head"')[1]
    assert "企业微信群机器人 发给 wecom-caterer" in history

    client.post("/logout")
    login(client, make_user(Role.ADMIN))
    page = client.get("/admin/deliveries?status=all").text
    assert page.count("wecom-caterer") == 2 and ROBOT_REMOVED in page
    assert "重新发送" not in page, "nothing to send it to"
    failed = db.session.scalar(sa.select(Delivery).where(Delivery.status == DeliveryStatus.FAILED))
    refused = client.post(f"/admin/deliveries/{failed.id}/resend", follow_redirects=True)
    assert "这条消息的群机器人已移除" in refused.text


ROBOT_KEEPING = {  # role: keeps robots, sees every robot
    "inspector": (False, True),
    "manager": (True, True),
    "admin": (True, True),
    "owner": (True, False),
}


@pytest.mark.parametrize("role", ROBOT_KEEPING)
def test_who_keeps_which_robots(cast, role):
    user = getattr(cast, role)
    ours = Robot(service=Channel.WECOM, contractor_id=cast.own.id, name="ours", webhook="x")
    theirs = Robot(service=Channel.WECOM, contractor_id=cast.other.id, name="theirs", webhook="x")
    team = Robot(service=Channel.WECOM, contractor_id=None, name="team", webhook="x")
    db.session.add_all([ours, theirs, team])
    db.session.flush()
    keeps, sees_all = ROBOT_KEEPING[role]
    assert keeps_robots(user) is keeps
    seen = set(db.session.scalars(sa.select(Robot.name).where(robots_kept_by(user))))
    assert seen == ({"ours", "theirs", "team"} if sees_all else {"ours"})
    owners = [owner for owner, _name in robot_owners(user)]
    if sees_all:
        assert owners[0] == 0 and set(owners) == {0, cast.own.id, cast.other.id}
    else:
        assert owners == [cast.own.id]


def test_managers_and_administrators_hear_as_managers(cast):
    heard = set(db.session.scalars(sa.select(User.id).where(hears_as_manager())))
    assert heard == {cast.manager.id, cast.admin.id}
