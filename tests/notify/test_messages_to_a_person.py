"""Messages to one person in the app they linked (企业微信 app messages, 钉钉 work notices, 飞书
bot messages), in the same outbox as e-mail and robots: the same retries, pacing, error codes
and proof of notice, against a local server speaking the three apps' APIs."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.audit import AuditEvent
from app.core.extensions import db
from app.core.timeutil import as_utc, utcnow
from app.identity.linking import link
from app.identity.models import Provider
from app.notices.lifecycle import issue
from app.notify.delivery import deliver_due
from app.notify.events import announce
from app.notify.models import Channel, Delivery, DeliveryStatus, EmailChoice, EventKind
from tests.app_servers import APPS, AppServer
from tests.helpers import login
from tests.notices.test_notices import drafts, inspection, kitchen  # noqa: F401
from tests.robot_server import MailBox

CHANNELS = {
    "wecom": Channel.WECOM_APP,
    "dingtalk": Channel.DINGTALK_APP,
    "feishu": Channel.FEISHU_APP,
}


@pytest.fixture
def server():
    with AppServer() as running:
        yield running


@pytest.fixture
def mailbox():
    with MailBox() as box:
        yield box


@pytest.fixture
def app_config(app_config, server, mailbox):
    return {
        **app_config,
        **server.settings(),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": mailbox.port,
        "PUBLIC_URL": "https://xunjian.example.gov.cn",
    }


def in_app(server, user, service: str, subject: str | None = None, **member) -> str:
    """Link the user's identity in `service`; where the service delivers to them."""
    subject = subject or f"{service}-{user.username}"
    added = server.add(service, subject, user.display_name, **member)
    link(user, Provider(service), subject, user.display_name)
    db.session.commit()
    return added.userid or subject  # 钉钉 delivers to the userId


def bulletin(users, month: str = "2026-11"):
    event = announce(
        EventKind.BULLETIN_PUBLISHED, {"month": month}, f"/bulletins/{month}", users=list(users)
    )
    db.session.commit()
    return event


def deliveries_of(event, channel: Channel | None = None) -> list[Delivery]:
    query = sa.select(Delivery).where(Delivery.event_id == event.id).order_by(Delivery.id)
    if channel is not None:
        query = query.where(Delivery.channel == channel)
    return list(db.session.scalars(query))


def due_now(*deliveries: Delivery) -> None:
    for delivery in deliveries:
        delivery.next_attempt_at = utcnow()
    db.session.commit()


@pytest.mark.parametrize("service", APPS)
def test_an_issued_notice_reaches_the_contractor_in_their_app_with_proof_of_notice(
    cast,
    kitchen,  # noqa: F811
    drafts,  # noqa: F811
    server,
    service,
):
    cast.owner.display_name = "禾香店长"
    recipient = in_app(server, cast.owner, service)
    notice = drafts[cast.own.id]
    issue(notice, cast.inspector)
    db.session.commit()

    (delivery,) = db.session.scalars(sa.select(Delivery).filter_by(channel=CHANNELS[service]))
    assert delivery.user_id == cast.owner.id and delivery.status == DeliveryStatus.PENDING
    assert deliver_due().sent == 1

    (text,) = server.texts(service, recipient)
    assert notice.number in text and "整改通知书" in text
    assert text.endswith(f"https://xunjian.example.gov.cn/notices/{notice.id}")
    assert delivery.status == DeliveryStatus.SENT and delivery.sent_at is not None
    assert [t.ok for t in delivery.tries] == [True]
    proof = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "message_delivered",
            AuditEvent.object_id == notice.id,
            AuditEvent.detail.like(f"{CHANNELS[service].value} %"),
        )
    )
    assert proof.detail == f"{CHANNELS[service].value} 禾香店长" and proof.at == delivery.sent_at


def test_the_app_message_goes_beside_the_e_mail_and_each_linked_app(cast, server, mailbox):
    cast.manager.email = "manager@bureau.example"
    to = {service: in_app(server, cast.manager, service) for service in APPS}
    event = bulletin([cast.manager])
    assert {d.channel for d in deliveries_of(event)} == {Channel.EMAIL, *CHANNELS.values()}
    assert deliver_due().sent == 4
    assert len(mailbox.received()) == 1
    assert all(len(server.texts(service, to[service])) == 1 for service in APPS)


@pytest.mark.parametrize("service", APPS)
def test_a_message_the_app_could_not_take_is_tried_again_and_goes(cast, server, service):
    recipient = in_app(server, cast.manager, service)
    server.busy_next[service] = 1
    (delivery,) = deliveries_of(bulletin([cast.manager]))

    done = deliver_due()
    assert done.retrying == 1 and done.sent == 0
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert str({"wecom": -1, "dingtalk": -1, "feishu": 1500}[service]) in delivery.last_error
    assert as_utc(delivery.next_attempt_at) > utcnow(), "after a pause"
    assert deliver_due().touched == 0, "not before it"

    due_now(delivery)
    assert deliver_due().sent == 1
    assert delivery.status == DeliveryStatus.SENT and [t.ok for t in delivery.tries] == [
        False,
        True,
    ]
    assert len(server.texts(service, recipient)) == 1


@pytest.mark.parametrize("service", APPS)
def test_an_app_asking_to_slow_down_is_waited_for_then_given_up_after_a_day(cast, server, service):
    in_app(server, cast.manager, service)
    server.rate_limit_next[service] = 1
    (delivery,) = deliveries_of(bulletin([cast.manager]))
    assert deliver_due().paced == 1
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0
    assert as_utc(delivery.next_attempt_at) >= utcnow() + timedelta(seconds=59)

    due_now(delivery)
    assert deliver_due().sent == 1

    server.rate_limit_next[service] = 1
    (late,) = deliveries_of(bulletin([cast.manager], month="2026-10"))
    late.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert deliver_due().failed == 1
    assert late.status == DeliveryStatus.FAILED


def test_one_person_out_of_the_apps_range_does_not_hold_up_the_others(cast, server):
    visible = in_app(server, cast.inspector, "wecom")
    in_app(server, cast.manager, "wecom", visible=False)
    event = bulletin([cast.manager, cast.inspector])
    done = deliver_due()
    assert done.sent == 1 and done.retrying == 1
    refused = next(d for d in deliveries_of(event) if d.user_id == cast.manager.id)
    assert "81013" in refused.last_error and refused.status == DeliveryStatus.PENDING
    assert server.texts("wecom", visible)


def test_an_app_that_is_down_holds_its_messages_for_the_pass_but_not_the_e_mail(
    cast, server, mailbox
):
    cast.inspector.email = "inspector@bureau.example"
    for user in (cast.manager, cast.inspector):
        in_app(server, user, "feishu")
    server.busy_next["feishu"] = 1
    bulletin([cast.manager, cast.inspector])
    done = deliver_due()
    assert done.sent == 1 and len(mailbox.received()) == 1, "the e-mail went"
    assert done.retrying == 2, "the second Feishu message waits instead of trying a failing app"
    assert server.received == []


def test_one_token_serves_many_messages_and_a_refused_one_is_replaced_once(cast, server):
    people = (cast.manager, cast.inspector, cast.second_inspector)
    for user in people:
        in_app(server, user, "wecom")
    bulletin(people)
    assert deliver_due().sent == 3
    assert server.token_requests["wecom"] == 1

    server.revoke_tokens("wecom")
    bulletin(people, month="2026-10")
    assert deliver_due().sent == 3
    assert server.token_requests["wecom"] == 2 and server.token_errors["wecom"] == 1


def test_a_work_notice_finds_the_dingtalk_user_id_once(cast, server):
    recipient = in_app(server, cast.manager, "dingtalk", subject="unionIdOfTheManager")
    assert recipient == "user-unionIdOfTheManager"
    bulletin([cast.manager])
    bulletin([cast.manager], month="2026-10")
    assert deliver_due().sent == 2
    assert len(server.texts("dingtalk", recipient)) == 2
    assert server.lookups["dingtalk", "getbyunionid"] == 1


def test_who_chose_not_to_hear_of_a_kind_gets_no_app_message_either(app, cast, server):
    app.config["SMTP_HOST"] = ""  # no e-mail at all: the choice still holds for the app
    in_app(server, cast.manager, "feishu")
    db.session.add(
        EmailChoice(user_id=cast.manager.id, kind=EventKind.BULLETIN_PUBLISHED, wanted=False)
    )
    event = bulletin([cast.manager])
    assert deliveries_of(event) == []


def test_with_nothing_configured_a_linked_user_hears_only_in_the_inbox(app, cast, server):
    in_app(server, cast.manager, "wecom")
    for key in [k for k in app.config if k.split("_")[0] in ("WECOM", "DINGTALK", "FEISHU")]:
        app.config[key] = ""
    assert deliveries_of(bulletin([cast.manager])) == []


def test_dingtalk_sends_work_notices_only_with_its_agent_id(app, cast, server):
    in_app(server, cast.manager, "dingtalk")
    app.config["DINGTALK_AGENT_ID"] = ""
    assert deliveries_of(bulletin([cast.manager])) == []


def test_a_message_for_an_app_no_longer_configured_fails_and_says_why(app, cast, server):
    in_app(server, cast.manager, "feishu")
    (delivery,) = deliveries_of(bulletin([cast.manager]))
    app.config["FEISHU_APP_SECRET"] = ""
    deliver_due()
    assert delivery.last_error == "feishu is not configured"


def test_people_see_where_their_messages_go_and_admins_the_deliveries(client, cast, server):
    in_app(server, cast.admin, "wecom")
    bulletin([cast.admin])
    deliver_due()
    login(client, cast.admin)
    assert "企业微信" in client.get("/account/notifications").text
    page = client.get("/admin/deliveries?status=sent").text
    assert "企业微信应用消息" in page and cast.admin.display_name in page
