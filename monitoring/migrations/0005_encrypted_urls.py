# Channel and RPC URLs carry credentials: encrypt the existing rows (issue 15, item 7),
# and mask the URLs that older audit entries kept half in clear (auditlog's default
# masking hid only the first half, so a trailing ?api-key= survived).

from django.db import migrations

import opsportal.encryption
import opsportal.secret_urls

TABLES = {"notificationchannel": "url", "rpcendpoint": "url"}
MASK = "********"


def _rewrite(apps, schema_editor, convert):
    # Raw SQL: the historical models already have the encrypted field, which would try
    # to decrypt the plaintext rows while reading them.
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model_name, column in TABLES.items():
            table = quote(apps.get_model("monitoring", model_name)._meta.db_table)
            cursor.execute(f"SELECT id, {quote(column)} FROM {table}")  # noqa: S608
            for pk, value in cursor.fetchall():
                if value:
                    cursor.execute(f"UPDATE {table} SET {quote(column)} = %s WHERE id = %s",  # noqa: S608
                                   [convert(value), pk])


def encrypt_rows(apps, schema_editor):
    _rewrite(apps, schema_editor, opsportal.encryption.encrypt_text)


def decrypt_rows(apps, schema_editor):
    _rewrite(apps, schema_editor, opsportal.encryption.decrypt_text)


def mask_audited_urls(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    LogEntry = apps.get_model("auditlog", "LogEntry")
    types = ContentType.objects.filter(app_label="monitoring", model__in=list(TABLES))
    for entry in LogEntry.objects.filter(content_type__in=types).only("pk", "changes"):
        changes = entry.changes if isinstance(entry.changes, dict) else None
        if changes and "url" in changes:
            changes["url"] = [None if v in (None, "None") else MASK for v in changes["url"]]
            LogEntry.objects.filter(pk=entry.pk).update(changes=changes)


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0004_merge_0003_alerting_0003_performance'),
        ('auditlog', '0017_add_actor_email'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.AlterField(
            model_name='notificationchannel',
            name='url',
            field=opsportal.encryption.EncryptedCharField(help_text='An Apprise URL: json://, mailto://, tgram://, pagerduty://, slack://, ...', max_length=500, validators=[opsportal.secret_urls.refuse_masked]),
        ),
        migrations.AlterField(
            model_name='rpcendpoint',
            name='url',
            field=opsportal.encryption.EncryptedURLField(max_length=500, validators=[opsportal.secret_urls.refuse_masked]),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows),
        migrations.RunPython(mask_audited_urls, migrations.RunPython.noop),
    ]
