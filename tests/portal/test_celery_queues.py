"""Queues (issue 16): a confirmation mail never waits behind a long staff import, and the reverse."""

from ustportal.celery import app

MAIL, STAFF = "ustportal.tasks.send_mail_task", "staffdesk.tasks.run_staff_job_task"


def _queue(name: str) -> str:
    return app.amqp.router.route({}, name)["queue"].name


def test_mail_and_staff_jobs_each_have_a_queue_and_everything_else_goes_to_default():
    assert _queue(MAIL) == "mail"
    assert _queue(STAFF) == "staff"
    app.loader.import_default_modules()  # every app's tasks module, as a worker imports them
    others = {name for name in app.tasks if not name.startswith("celery.") and name not in (MAIL, STAFF)}
    assert "ustportal.tasks.relay_queued_mail_task" in others and "staffdesk.tasks.relay_staff_jobs_task" in others
    assert {_queue(name) for name in others} == {"default"}


def test_the_development_worker_consumes_every_queue():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "worker -Q default,mail,staff" in makefile


def test_the_beat_is_the_single_active_scheduler_and_writes_each_run_at_once():
    assert app.conf.beat_scheduler == "ustportal.beat:SingleBeatScheduler"
    assert app.conf.beat_sync_every == 1
    assert app.conf.worker_prefetch_multiplier == 1
