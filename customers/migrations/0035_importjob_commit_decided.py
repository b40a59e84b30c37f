"""ImportJob.commit_decided: the decision of an import written in several connections
(customers.import_parallel), recorded once every part is prepared and before any commits. A
new column with a constant default: no table rewrite."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0034_department_sort_index")]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="commit_decided",
            field=models.BooleanField(default=False, editable=False),
        ),
    ]
