"""Group robots, as their keepers add and remove them: each action writes and commits."""

from app.core.extensions import db
from app.notify.models import Channel, Robot


def add_robot(service: str, owner_id: int | None, name: str, webhook: str, secret: str) -> Robot:
    robot = Robot(
        service=Channel(service),
        contractor_id=owner_id or None,
        name=name.strip(),
        webhook=webhook.strip(),
        secret=(secret or "").strip(),
    )
    db.session.add(robot)
    db.session.commit()
    return robot


def remove_robot(robot: Robot) -> None:
    robot.remove()
    db.session.commit()
