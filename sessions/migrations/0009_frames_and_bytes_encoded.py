# The counts are of encodes (one serves every viewer of a codec), not of what viewers got.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("browser_sessions", "0008_layer_lost_end_reason")]

    operations = [
        migrations.RenameField("browsersession", "frames_sent", "frames_encoded"),
        migrations.RenameField("browsersession", "bytes_sent", "bytes_encoded"),
    ]
