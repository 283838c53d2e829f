"""`flask --app wsgi worker`: runs the clock and delivers the outbox, until told to stop.

On PostgreSQL several workers may run at once (on several servers): jobs and messages are
claimed, so none runs or is sent twice. On SQLite run one."""

import logging
import signal
import time

from flask import current_app

from app.core.extensions import db
from app.core.logs import WORKER_LOG
from app.jobs.clock import run_due_jobs
from app.notify.delivery import BATCH, deliver_due

log = logging.getLogger(WORKER_LOG)


class Stop:
    """Set by SIGTERM or SIGINT: the worker finishes the message in hand, then stops."""

    def __init__(self):
        self.asked = False

    def __call__(self, signum, frame):
        self.asked = True


def work_once() -> dict:
    """Run the jobs that are due, then send everything due now."""
    jobs = run_due_jobs()
    sent = failed = 0
    while True:
        done = deliver_due()
        sent, failed = sent + done.sent, failed + done.failed
        if done.touched < BATCH:
            return {"jobs": jobs, "sent": sent, "failed": failed}


def run_worker() -> None:
    stop = Stop()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pause = current_app.config["WORKER_PAUSE_SECONDS"]
    log.info("worker started")
    while not stop.asked:
        try:
            result = work_once()
            if result["sent"] or result["failed"] or any(result["jobs"].values()):
                log.info("worker pass", extra=result)
        except Exception:
            db.session.rollback()
            log.exception("worker pass failed; trying again shortly")
        finally:
            db.session.remove()
        for _ in range(pause * 10):
            if stop.asked:
                break
            time.sleep(0.1)
    log.info("worker stopped")
