# Issue 12: one stable Message-ID per outgoing mail, for every attempt.

import uuid

from django.db import migrations, models

import core.models


def give_each_mail_its_own_message_id(apps, schema_editor):
    """Rows written before this migration get a unique id each (a column default would give them all one)."""
    OutgoingMail = apps.get_model("ustportal", "OutgoingMail")
    domain = core.models.message_id_domain()  # the same valid domain new mail gets
    for pk in OutgoingMail.objects.filter(message_id__isnull=True).values_list("pk", flat=True).iterator():
        OutgoingMail.objects.filter(pk=pk).update(message_id=f"<{uuid.uuid4().hex}@{domain}>")


class Migration(migrations.Migration):

    dependencies = [
        ('ustportal', '0004_bulk_action'),
    ]

    operations = [
        migrations.AddField(
            model_name='outgoingmail',
            name='message_id',
            field=models.CharField(editable=False, max_length=255, null=True, verbose_name='Message-ID'),
        ),
        migrations.RunPython(give_each_mail_its_own_message_id, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='outgoingmail',
            name='message_id',
            field=models.CharField(default=core.models.new_message_id, editable=False, max_length=255, unique=True, verbose_name='Message-ID'),
        ),
    ]
