import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from core.migration_ops import move_content_types


MOVE_CONTENT_TYPES = move_content_types("sms", "forms", ('documentdownload',))


class Migration(migrations.Migration):

    dependencies = [
        ('sms', '0001_initial'),
        ('forms', '0007_seed_screen_terms'),
        ('wagtaildocs', '0014_alter_document_file_size'),
    ]

    operations = [
        # The tables exist already (created by the sms app): only Django's picture moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DocumentDownload',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('submission_id', models.PositiveBigIntegerField(blank=True, db_index=True, null=True, verbose_name='submission id')),
                        ('downloaded_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='downloaded at')),
                        ('document', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='wagtaildocs.document', verbose_name='document')),
                    ],
                    options={
                        'verbose_name': 'document download',
                        'verbose_name_plural': 'document downloads',
                        'db_table': 'sms_documentdownload',
                        'ordering': ['-downloaded_at'],
                    },
                ),
            ],
        ),
        migrations.RunPython(*MOVE_CONTENT_TYPES),
    ]
