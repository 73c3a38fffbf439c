"""The migration that added OutgoingMail.message_id gives every row written before it a Message-ID of its own."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db(transaction=True)
def test_rows_older_than_the_column_each_get_their_own_message_id(settings):
    settings.DEFAULT_FROM_EMAIL = "UST Portal <no-reply@portal.example>"
    before, after = [("ustportal", "0004_bulk_action")], [("ustportal", "0005_outgoingmail_message_id")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old_state = executor.loader.project_state(before).apps
        OldMail = old_state.get_model("ustportal", "OutgoingMail")
        for number in range(3):
            OldMail.objects.create(kind="application_confirmation", to=f"old{number}@example.org")

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)

        NewMail = executor.loader.project_state(after).apps.get_model("ustportal", "OutgoingMail")
        ids = list(NewMail.objects.values_list("message_id", flat=True))
        assert len(ids) == 3 and len(set(ids)) == 3
        assert all(i.startswith("<") and i.endswith("@portal.example>") for i in ids)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
