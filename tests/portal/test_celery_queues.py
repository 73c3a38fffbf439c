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


def test_the_real_routes_put_each_published_task_in_its_queue_on_the_broker(settings):
    """core.broker publishes as the portal does (no queue named by the caller): the routes alone decide, end to end
    through kombu into Redis; the mail-crash tests flatten routes into one queue, so this is where they are proved."""
    import pytest
    import redis
    from kombu import Connection

    from core.broker import broker_publish, broker_resume
    from core.tasks import relay_queued_mail_task, run_staff_job_task, send_mail_task

    from .brokers import _drop_pools

    if not settings.REDIS_URL:
        pytest.skip("needs Redis (set REDIS_URL=redis://...)")
    client, queues = redis.Redis.from_url(settings.REDIS_URL), ("mail", "staff", "default")
    if any(client.llen(q) for q in queues):
        pytest.skip("the queues of this Redis database are in use")
    app.conf.task_always_eager, app.conf.broker_url = False, settings.REDIS_URL
    _drop_pools()
    broker_resume()
    try:
        assert broker_publish(send_mail_task, 1) and broker_publish(run_staff_job_task, 2)
        assert broker_publish(relay_queued_mail_task)
        assert {q: client.llen(q) for q in queues} == {"mail": 1, "staff": 1, "default": 1}
    finally:
        with Connection(settings.REDIS_URL) as conn:
            for q in queues:
                conn.SimpleQueue(q).clear()
        for name in ("task_always_eager", "broker_url"):
            app.conf.changes.pop(name, None)
        _drop_pools()
