import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_ops import move_content_types


MOVE_CONTENT_TYPES = move_content_types("datatools", "incidents", ('incident', 'incidentsubject', 'incidentstep'))


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('datatools', '0003_unmasked_export_approval'),
        ('forms', '0008_documentdownload_moved_here'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables exist already (created by the datatools app): only Django's picture moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Incident',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=200, verbose_name='title')),
                        ('description', models.TextField(verbose_name='what happened')),
                        ('occurred_at', models.DateTimeField(blank=True, null=True, verbose_name='happened at')),
                        ('discovered_at', models.DateTimeField(verbose_name='found at')),
                        ('period_start', models.DateTimeField(verbose_name='affected from')),
                        ('period_end', models.DateTimeField(verbose_name='affected until')),
                        ('measures', models.TextField(blank=True, verbose_name='measures taken')),
                        ('state', models.CharField(choices=[('open', 'Open'), ('closed', 'Closed')], default='open', max_length=10, verbose_name='state')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='registered at')),
                        ('announcement_title', models.CharField(blank=True, max_length=200, verbose_name='announcement title')),
                        ('announcement_text', models.TextField(blank=True, verbose_name='announcement')),
                        ('announcement_published_at', models.DateTimeField(blank=True, null=True, verbose_name='announcement published')),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='registered by')),
                        ('purposes', models.ManyToManyField(related_name='+', to='forms.purpose', verbose_name='affected purposes')),
                    ],
                    options={
                        'verbose_name': 'incident',
                        'verbose_name_plural': 'incidents',
                        'db_table': 'datatools_incident',
                        'ordering': ['-discovered_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='IncidentStep',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(auto_now_add=True, verbose_name='when')),
                        ('action', models.CharField(choices=[('registered', 'Registered'), ('updated', 'Details updated'), ('subjects_found', 'Affected people found'), ('notice_sent', 'Notice sent to affected people'), ('announcement_published', 'Announcement published'), ('announcement_withdrawn', 'Announcement withdrawn'), ('closed', 'Closed')], max_length=30, verbose_name='step')),
                        ('detail', models.TextField(blank=True, verbose_name='detail')),
                        ('count', models.PositiveIntegerField(blank=True, null=True, verbose_name='people')),
                        ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='incidents.incident')),
                        ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                    ],
                    options={
                        'verbose_name': 'incident step',
                        'verbose_name_plural': 'incident steps',
                        'db_table': 'datatools_incidentstep',
                        'ordering': ['at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='IncidentSubject',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key_hash', models.CharField(max_length=64)),
                        ('notified_at', models.DateTimeField(blank=True, null=True, verbose_name='notified')),
                        ('channel', models.CharField(blank=True, max_length=10, verbose_name='channel')),
                        ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='subjects', to='incidents.incident')),
                        ('submission', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='forms.campaignsubmission')),
                    ],
                    options={
                        'verbose_name': 'affected person',
                        'verbose_name_plural': 'affected people',
                        'db_table': 'datatools_incidentsubject',
                        'constraints': [models.UniqueConstraint(fields=('incident', 'key_hash'), name='datatools_incidentsubject_unique')],
                    },
                ),
            ],
        ),
        migrations.RunPython(*MOVE_CONTENT_TYPES),
    ]
