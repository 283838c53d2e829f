"""Benchmark: deliver 10,000 messages to a local SMTP server and local group-robot servers.

Run on demand (never in the test suite):

    .venv/bin/python bench/notify_delivery.py [--messages 10000] [--robots 200] [--email-share 0.4]

It fills a throwaway SQLite database (or XUNJIAN_DATABASE_URL) with contractors, each with a
WeCom, DingTalk or Feishu robot (signed where the service signs) and a user with an e-mail
address, writes the messages to the outbox as the app does, and lets one worker deliver them
to tests/robot_server.py's servers, which check signatures and answer a robot's 21st message in
a minute with the service's rate-limit code. It reports messages per second by channel, the
most any robot received in one minute (the pace is 20), and how many were lost.
"""

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.robot_server import MailBox, RobotServer  # noqa: E402

SERVICES = ("wecom", "dingtalk", "feishu")


def fill(robots_server, messages: int, robots: int, email_share: float) -> dict:
    from app.core.extensions import db

    emails = round(messages * email_share)
    robot_messages = messages - emails
    companies, users = add_contractors(robots_server, robots)
    db.session.flush()
    write_outbox(companies, users, robot_messages, emails)
    db.session.commit()
    return {"email": emails, "robot": robot_messages}


def add_contractors(robots_server, robots: int) -> tuple[list[int], list]:
    """A contractor per robot, each with its robot (signed where the service signs) and a user
    with an e-mail address; the contractors' ids and the users."""
    from app.auth.models import Role
    from app.auth.users import create_user
    from app.catalog.models import Contractor
    from app.core.extensions import db
    from app.notify.models import Channel, Robot

    companies, users = [], []
    for n in range(robots):
        company = Contractor(
            name=f"基准服务公司{n:03d}",
            short_name=f"基准{n:03d}",
            licence_no="91320100MA1N2K3L42",
            contract_start=date(2025, 1, 1),
            contract_end=date(2027, 12, 31),
            contract_value=1000000,
            deposit_share=5,
            satisfaction_target=90,
        )
        db.session.add(company)
        db.session.flush()
        service = SERVICES[n % 3]
        token = f"robot{n:03d}"
        secret = f"secret-{n}" if service != "wecom" else ""
        robots_server.secrets[token] = secret
        db.session.add(
            Robot(
                contractor_id=company.id,
                service=Channel(service),
                name=token,
                webhook=robots_server.url(service, token),
                secret=secret,
            )
        )
        user = create_user(
            f"bench{n:03d}",
            f"压测{n:03d}",
            Role.CONTRACTOR,
            "bench-pass-1",
            contractor_id=company.id,
        )
        user.email = f"bench{n:03d}@example.com"
        companies.append(company.id)
        users.append(user)
    return companies, users


def write_outbox(companies: list[int], users: list, robot_messages: int, emails: int) -> None:
    """The messages, as the app writes them: robot messages one event each to one company's
    robot with nobody's e-mail, then e-mails to the users in turn."""
    from app.notify.events import announce
    from app.notify.models import EventKind

    for n in range(robot_messages):
        announce(
            EventKind.BULLETIN_PUBLISHED,
            {"month": f"r{n}"},
            "/bulletins",
            users=[],
            robots_of=[companies[n % len(companies)]],
        )
    for n in range(emails):
        announce(
            EventKind.BULLETIN_PUBLISHED,
            {"month": f"e{n}"},
            "/bulletins",
            users=[users[n % len(users)]],
            robots_of=[],
        )


def main() -> int:
    args = arguments()
    workdir = Path(tempfile.mkdtemp(prefix="xunjian-notify-bench-"))
    with RobotServer(pace_per_minute=20) as robots, MailBox() as mailbox:
        from app.core.extensions import db

        app = bench_app(workdir, robots, mailbox)
        with app.app_context():
            db.create_all()
            counts = fill(robots, args.messages, args.robots, args.email_share)
            print(
                f"outbox: {counts['email']} e-mails, {counts['robot']} robot messages "
                f"to {args.robots} robots"
            )
            elapsed, failed = deliver_everything()
            db.session.remove()
            db.drop_all()

    lost = counts["email"] - len(mailbox.received()) + counts["robot"] - len(set(robots.texts()))
    print_table(args, counts, elapsed, failed, lost, robots)
    per_minute = robot_peak_per_minute(robots)
    print(f"\nmost messages one robot received in any 60 s: {per_minute} (pace 20)")
    return 0 if lost == 0 and not failed and per_minute <= 20 else 1


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--robots", type=int, default=200)
    parser.add_argument("--email-share", type=float, default=0.4)
    return parser.parse_args()


def bench_app(workdir: Path, robots, mailbox):
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": os.environ.get(
                "XUNJIAN_DATABASE_URL", f"sqlite:///{workdir / 'bench.db'}"
            ),
            "UPLOAD_DIR": str(workdir / "photos"),
            "SECRET_KEY": "bench",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": mailbox.port,
            "ROBOT_HOSTS": (robots.host,),
        }
    )


def deliver_everything() -> tuple[float, int]:
    """Deliver the outbox as the worker does until nothing is pending; the seconds it took
    and how many deliveries failed."""
    from app.core.extensions import db
    from app.notify.delivery import deliver_due
    from app.notify.models import Delivery, DeliveryStatus

    def count(status) -> int:
        return db.session.scalar(
            db.select(db.func.count(Delivery.id)).where(Delivery.status == status)
        )

    started = time.monotonic()
    while count(DeliveryStatus.PENDING):
        if not deliver_due().touched:
            time.sleep(0.5)  # everything left is paced: wait for a robot's minute
    return time.monotonic() - started, count(DeliveryStatus.FAILED)


def print_table(args, counts: dict, elapsed: float, failed: int, lost: int, robots) -> None:
    duplicates = sum(n - 1 for n in Counter(robots.texts()).values() if n > 1)
    print()
    print(
        "| messages | e-mails | robot messages | time | messages/s | rate-limit answers "
        "| failed | lost | duplicates |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.messages} | {counts['email']} | {counts['robot']} | {elapsed:.1f} s "
        f"| {args.messages / elapsed:.0f} | {len(robots.refused)} | {failed} "
        f"| {lost} | {duplicates} |"
    )


def robot_peak_per_minute(robots) -> int:
    """The most messages any robot accepted within one minute, from the server's clock."""
    peak = 0
    for times in robots.accepted_at.values():
        start = 0
        for end, moment in enumerate(times):
            while moment - times[start] >= 60:
                start += 1
            peak = max(peak, end - start + 1)
    return peak


if __name__ == "__main__":
    sys.exit(main())
