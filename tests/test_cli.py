import pytest
import sqlalchemy as sa

from app.auth.models import Role, User
from app.catalog.models import CheckPoint, Contractor, ServiceLine, Site
from app.catalog.rules import DEFAULT_EVIDENCE_POLICY
from app.catalog.staff import certificate_alerts
from app.core.evidence import distance_m
from app.core.extensions import db
from app.core.timeutil import local_today
from app.demo import DEMO_PASSWORD, USERS
from app.demo.factories import COMPOUND_LOCATION
from app.inspections.models import InspectionPhoto
from app.notify.models import Delivery, Notification
from tests.helpers import app_on


@pytest.fixture
def seeded(full_demo):
    """An app on the run's demo database, which `flask seed-demo --if-empty` loaded."""
    app = app_on(full_demo.url, full_demo.files)
    with app.app_context():
        yield app, full_demo.loaded
        db.session.remove()
        db.engine.dispose()


def test_seed_demo_loads_a_lived_in_organisation(seeded):
    _app, result = seeded
    assert result.exit_code == 0, result.output

    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    assert set(users) >= {
        "inspector",
        "inspector2",
        "manager",
        "contractor",
        "contractor2",
        "admin",
    }
    assert all(u.check_password(DEMO_PASSWORD) for u in users.values())
    assert users["contractor"].role == Role.CONTRACTOR
    assert users["contractor"].contractor_id != users["contractor2"].contractor_id

    contractors = db.session.scalars(sa.select(Contractor)).all()
    assert len(contractors) >= 4
    served = {line.code for c in contractors for line in c.service_lines}
    assert len(served) >= 12
    assert db.session.scalar(sa.select(sa.func.count(CheckPoint.id))) >= 150
    alerts = certificate_alerts(local_today(), 30)
    assert len(alerts.expired) >= 3 and alerts.expiring
    assert {c.staff_member.contractor_id for c in alerts.expired} >= {
        users["contractor"].contractor_id,
        users["contractor2"].contractor_id,
    }


def test_the_demo_places_have_a_location_and_its_photos_are_taken_there(seeded):
    """So that a check-in or a photo far from the compound is marked in the demo too, and the
    demo's own photos are not."""
    places = db.session.scalars(sa.select(Site)).all()
    assert places and all(place.location == COMPOUND_LOCATION for place in places)
    where = db.session.execute(
        sa.select(InspectionPhoto.latitude, InspectionPhoto.longitude).where(
            InspectionPhoto.latitude.is_not(None)
        )
    ).all()
    assert where, "the demo's photos say where they were taken"
    radius = DEFAULT_EVIDENCE_POLICY["presence_radius_m"]
    assert max(distance_m(*spot, *COMPOUND_LOCATION) for spot in where) < radius


def test_seed_demo_if_empty_does_not_load_twice(seeded):
    app, _result = seeded
    again = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert "already has data" in again.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == len(USERS)


def test_load_standards_command(app):
    result = app.test_cli_runner().invoke(args=["load-standards"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count(ServiceLine.id))) >= 12


def test_create_user_command(app, make_contractor):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "chief",
            "--name",
            "局长",
            "--role",
            "admin",
            "--password",
            "strong-pass-1",
        ]
    )
    assert result.exit_code == 0, result.output
    refused = runner.invoke(
        args=[
            "create-user",
            "x",
            "--name",
            "某",
            "--role",
            "contractor",
            "--password",
            "strong-pass-1",
        ]
    )
    assert refused.exit_code != 0 and "contractor-id" in refused.output
    chief = db.session.scalar(sa.select(User).where(User.username == "chief"))
    assert chief.role == Role.ADMIN and chief.check_password("strong-pass-1")


def test_each_domain_has_its_group_and_the_old_spellings_stay_out_of_the_help(app):
    listed = app.test_cli_runner().invoke(args=["--help"]).output
    commands = {line.split()[0] for line in listed.split("Commands:")[1].splitlines() if line}
    assert commands >= {
        "users",
        "standards",
        "demo",
        "notices",
        "org",
        "storage",
        "photos",
        "worker",
    }
    assert not commands & {"seed-demo", "load-standards", "create-user"}


def test_each_group_runs_its_commands(app, tmp_path):
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=[
            "users",
            "create",
            "chief",
            "--name",
            "局长",
            "--role",
            "admin",
            "--password",
            "pw-12345678",
        ]
    )
    assert created.exit_code == 0 and "User chief created." in created.output
    loaded = runner.invoke(args=["standards", "load"])
    assert loaded.exit_code == 0 and " 0 updated" in loaded.output
    escalated = runner.invoke(args=["notices", "escalate"])
    assert escalated.exit_code == 0 and "0 notices newly overdue" in escalated.output
    assert runner.invoke(args=["org", "export", str(tmp_path / "org.xlsx")]).exit_code == 0
    refused = runner.invoke(args=["storage", "copy", "--to", "ftp://files/x"])
    assert refused.exit_code == 2 and "--to" in refused.output


def test_the_demo_group_seeds_only_an_empty_database(seeded):
    app, _result = seeded
    again = app.test_cli_runner().invoke(args=["demo", "seed", "--if-empty"])
    assert again.exit_code == 0 and "already has data" in again.output


def test_the_demo_has_inbox_messages_for_every_role_and_calls_no_robot(seeded):
    users = db.session.scalars(sa.select(User)).all()
    for role in Role:
        mine = [
            n
            for u in users
            if u.role == role
            for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == u.id))
        ]
        assert mine, f"the {role.value}'s inbox is empty"
        assert any(n.read_at is None for n in mine), "a few stay unread"
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0, "nothing leaves"
