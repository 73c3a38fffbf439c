"""The model moved to the kernel (``core/migrations/0001_initial.py``) with its table: state only."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
        ('staffdesk', '0002_staffjob_confirms'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.DeleteModel(
                name='StaffJob',
            ),
        ], database_operations=[]),
    ]
