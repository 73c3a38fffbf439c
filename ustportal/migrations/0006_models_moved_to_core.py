"""The model moved to the kernel (``core/migrations/0001_initial.py``) with its table: state only."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
        ('ustportal', '0005_outgoingmail_message_id'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveField(
                model_name='bulkaction',
                name='actor',
            ),
            migrations.RemoveField(
                model_name='bulkaction',
                name='undoes',
            ),
            migrations.DeleteModel(
                name='OutgoingMail',
            ),
            migrations.RemoveField(
                model_name='personaldataaccess',
                name='actor',
            ),
            migrations.DeleteModel(
                name='BulkAction',
            ),
            migrations.DeleteModel(
                name='PersonalDataAccess',
            ),
        ], database_operations=[]),
    ]
