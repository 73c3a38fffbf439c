"""Issue 13: the kernel took over its models with their tables; on a database from before, nothing moves.

Rows stay where they were, the content types are renamed (same ids), so a role group's permissions and the
admin's history stay attached; and unapplying gives the old app labels back.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("core", None), ("ustportal", "0005_outgoingmail_message_id"), ("staffdesk", "0002_staffjob_confirms")]
AFTER = [("core", "0001_initial"), ("ustportal", "0006_models_moved_to_core"), ("staffdesk", "0003_staffjob_moved_to_core")]


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


@pytest.mark.django_db(transaction=True)
def test_rows_content_types_and_group_permissions_survive_the_move_to_core():
    executor = _executor()
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE[1:]).apps
        mail = old.get_model("ustportal", "OutgoingMail").objects.create(kind="set_password", to="old@example.org")
        job = old.get_model("staffdesk", "StaffJob").objects.create(kind="records_import", scope="all")
        ContentType = old.get_model("contenttypes", "ContentType")
        Permission, Group = old.get_model("auth", "Permission"), old.get_model("auth", "Group")
        mail_type, _ = ContentType.objects.get_or_create(app_label="ustportal", model="outgoingmail")
        job_type, _ = ContentType.objects.get_or_create(app_label="staffdesk", model="staffjob")
        perm, _ = Permission.objects.get_or_create(content_type=mail_type, codename="view_outgoingmail",
                                                   defaults={"name": "Can view outgoing mail"})
        group = Group.objects.create(name="kernel-move-check")
        group.permissions.add(perm)

        executor = _executor()
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        assert list(new.get_model("core", "OutgoingMail").objects.values_list("pk", "to")) == [(mail.pk, "old@example.org")]
        assert new.get_model("core", "StaffJob").objects.get().pk == job.pk
        NewType = new.get_model("contenttypes", "ContentType")
        assert NewType.objects.get(pk=mail_type.pk).app_label == "core"
        assert NewType.objects.get(pk=job_type.pk).app_label == "core"
        assert not NewType.objects.filter(app_label__in=["ustportal", "staffdesk"], model__in=["outgoingmail", "staffjob"]).exists()
        granted = new.get_model("auth", "Group").objects.get(name="kernel-move-check").permissions.get()
        assert (granted.content_type.app_label, granted.codename) == ("core", "view_outgoingmail")

        executor = _executor()
        executor.migrate(BEFORE)
        assert ContentType.objects.get(pk=mail_type.pk).app_label == "ustportal"
    finally:
        executor = _executor()
        executor.migrate(executor.loader.graph.leaf_nodes())
