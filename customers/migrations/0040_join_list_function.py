"""customer_join_list(items jsonb): a JSON list's items as text joined with "; " — what
``(SELECT string_agg(item, '; ') FROM jsonb_array_elements_text(items) AS item)`` gives, nulls
skipped, NULL for a list with none — for the export's «Selección múltiple» cells
(customers.exporting).

Why a function: that subquery is correlated, so PostgreSQL computes it (and with it the whole
select list of the export, every cell's escaping) in the backend above the Gather Merge instead
of in the parallel workers. This one is PARALLEL SAFE. PL/pgSQL without a query inside: a SQL
function with that SELECT costs an executor start per call, about 3 times the subquery at
200,000 lists; this loop costs about the same as the subquery."""

from django.db import migrations

JOIN_LIST_FUNCTION = r"""
CREATE OR REPLACE FUNCTION customer_join_list(items jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT AS $$
DECLARE
    joined text;
    item text;
BEGIN
    FOR n IN 0 .. jsonb_array_length(items) - 1 LOOP
        item := items ->> n;
        IF item IS NOT NULL THEN
            joined := CASE WHEN joined IS NULL THEN item ELSE joined || '; ' || item END;
        END IF;
    END LOOP;
    RETURN joined;
END
$$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0039_importjob_columns_to_choose"),
    ]

    operations = [
        migrations.RunSQL(JOIN_LIST_FUNCTION, "DROP FUNCTION IF EXISTS customer_join_list(jsonb)"),
    ]
