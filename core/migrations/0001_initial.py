"""The kernel takes over the models it now owns (issue 13), keeping their tables: no data moves.

``OutgoingMail``, ``BulkAction`` and ``PersonalDataAccess`` were ``ustportal``'s and ``StaffJob`` was ``staffdesk``'s;
their tables keep the old names (``db_table``), so this migration changes only Django's state, plus the content
types, which are renamed so that permissions, role groups and admin history stay attached to the same rows.
"""

import core.models
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = {"ustportal": ["outgoingmail", "bulkaction", "personaldataaccess"], "staffdesk": ["staffjob"]}


def _content_types_to_core(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for app_label, models_ in MOVED.items():
        ContentType.objects.filter(app_label=app_label, model__in=models_).update(app_label="core")


def _content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for app_label, models_ in MOVED.items():
        ContentType.objects.filter(app_label="core", model__in=models_).update(app_label=app_label)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("ustportal", "0005_outgoingmail_message_id"),
        ("staffdesk", "0002_staffjob_confirms"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
                migrations.CreateModel(
                    name='OutgoingMail',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(db_index=True, max_length=60, verbose_name='kind')),
                        ('to', models.EmailField(max_length=254, verbose_name='recipient')),
                        ('language', models.CharField(default='ko', max_length=8, verbose_name='language')),
                        ('params', models.JSONField(blank=True, default=dict, verbose_name='parameters')),
                        ('attachments', models.JSONField(blank=True, default=list, verbose_name='attachments')),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed')], default='queued', max_length=10, verbose_name='status')),
                        ('subject', models.CharField(blank=True, max_length=255, verbose_name='subject')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                        ('last_error', models.TextField(blank=True, verbose_name='last error')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt at')),
                        ('claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='claimed at')),
                        ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                        ('message_id', models.CharField(default=core.models.new_message_id, editable=False, max_length=255, unique=True, verbose_name='Message-ID')),
                    ],
                    options={
                        'verbose_name': 'outgoing mail',
                        'verbose_name_plural': 'outgoing mail',
                        'db_table': 'ustportal_outgoingmail',
                        'ordering': ['-created_at'],
                        'permissions': [('resend_outgoingmail', 'Can re-send outgoing mail')],
                        'indexes': [models.Index(fields=['status', 'next_attempt_at'], name='ustportal_o_status_c68a01_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='BulkAction',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='at')),
                        ('kind', models.CharField(db_index=True, max_length=60, verbose_name='action')),
                        ('scope', models.CharField(blank=True, max_length=100, verbose_name='scope')),
                        ('actor_name', models.CharField(blank=True, max_length=150, verbose_name='run by (user name)')),
                        ('inputs', models.JSONField(blank=True, default=dict, verbose_name='inputs')),
                        ('changes', models.JSONField(blank=True, default=list, verbose_name='changes')),
                        ('count', models.PositiveIntegerField(default=0, verbose_name='objects changed')),
                        ('summary', models.TextField(blank=True, verbose_name='summary')),
                        ('reason', models.TextField(blank=True, verbose_name='reason')),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='run by')),
                        ('undoes', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='undone_by', to='core.bulkaction', verbose_name='undoes')),
                    ],
                    options={
                        'verbose_name': 'staff action',
                        'verbose_name_plural': 'staff action log',
                        'db_table': 'ustportal_bulkaction',
                        'ordering': ['-at', '-pk'],
                        'indexes': [models.Index(fields=['kind', 'at'], name='ustportal_b_kind_57ea82_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='PersonalDataAccess',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='at')),
                        ('actor_name', models.CharField(blank=True, max_length=150, verbose_name="actor's user name")),
                        ('address', models.CharField(blank=True, max_length=64, verbose_name='address')),
                        ('action', models.CharField(choices=[('view', 'Viewed'), ('list', 'Listed'), ('change', 'Changed'), ('add', 'Added'), ('delete', 'Deleted'), ('export', 'Exported'), ('download', 'Downloaded'), ('destroy', 'Destroyed (retention period over)')], max_length=10, verbose_name='action')),
                        ('model', models.CharField(help_text='App and model label, e.g. affiliation.studentrecord.', max_length=100, verbose_name='data')),
                        ('object_ids', models.JSONField(blank=True, default=list, verbose_name='object ids')),
                        ('count', models.PositiveIntegerField(default=0, verbose_name='number of rows')),
                        ('reference', models.CharField(blank=True, max_length=255, verbose_name='reference')),
                        ('path', models.CharField(blank=True, max_length=500, verbose_name='path')),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
                    ],
                    options={
                        'verbose_name': 'personal-data access',
                        'verbose_name_plural': 'personal-data access log',
                        'db_table': 'ustportal_personaldataaccess',
                        'ordering': ['-at', '-pk'],
                        'indexes': [models.Index(fields=['model', 'at'], name='ustportal_p_model_2108ba_idx'), models.Index(fields=['actor_name', 'at'], name='ustportal_p_actor_n_45da33_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='StaffJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=core.models.job_kind_choices, max_length=30, verbose_name='kind')),
                        ('scope', models.CharField(help_text='What the job works on, e.g. a term or a round; one active job per kind and scope.', max_length=100, verbose_name='scope')),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=10, verbose_name='status')),
                        ('params', models.JSONField(blank=True, default=dict, verbose_name='parameters')),
                        ('language', models.CharField(default='ko', max_length=8, verbose_name='language')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('dispatched_at', models.DateTimeField(blank=True, null=True, verbose_name='handed to a worker at')),
                        ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started at')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                        ('total', models.PositiveIntegerField(blank=True, null=True, verbose_name='total')),
                        ('done', models.PositiveIntegerField(default=0, verbose_name='done')),
                        ('failures', models.JSONField(blank=True, default=list, verbose_name='failures')),
                        ('report', models.JSONField(blank=True, default=dict, verbose_name='report')),
                        ('summary', models.TextField(blank=True, verbose_name='summary')),
                        ('error', models.TextField(blank=True, verbose_name='error')),
                        ('input_name', models.CharField(blank=True, max_length=200, verbose_name='uploaded file name')),
                        ('input_content', models.BinaryField(blank=True, null=True, verbose_name='uploaded file')),
                        ('input_size', models.PositiveIntegerField(default=0, verbose_name='uploaded file size in bytes')),
                        ('input_sha256', models.CharField(blank=True, max_length=64, verbose_name='uploaded file SHA-256')),
                        ('confirms', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='confirmed_by', to='core.staffjob', verbose_name='confirms the preview')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='started by')),
                    ],
                    options={
                        'verbose_name': 'background job',
                        'verbose_name_plural': 'background jobs',
                        'db_table': 'staffdesk_staffjob',
                        'ordering': ['-created_at', '-pk'],
                        'indexes': [models.Index(fields=['status', 'created_at'], name='staffdesk_s_status_0fa668_idx')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status__in', ['queued', 'running'])), fields=('kind', 'scope'), name='staffjob_one_active_per_scope'), models.CheckConstraint(condition=models.Q(('total__isnull', True), ('done__lte', models.F('total')), _connector='OR'), name='staffjob_done_within_total')],
                    },
                ),
        ], database_operations=[]),
        migrations.RunPython(_content_types_to_core, _content_types_back, elidable=False),
    ]
