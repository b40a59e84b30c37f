"""Statistics of the words in Customer.search_text, for the list's count strategy
(customers.queries.common_word_share): ANALYZE (and autovacuum) keep the most common words
with their share of the customers, so a search for a word in tens of thousands of customers
skips counting 10,001 of them. E-mail domains count as words of their own ("@gmail.com").
No index: only ANALYZE's sample of 30,000 rows pays for it."""

from django.db import migrations

CREATE = r"""
CREATE STATISTICS IF NOT EXISTS customer_search_words
    ON (string_to_array(replace(search_text, '@', ' @'), ' '))
    FROM customers_customer
"""


class Migration(migrations.Migration):
    dependencies = [("customers", "0024_contact_name_and_note_to_records")]

    operations = [
        migrations.RunSQL(CREATE, "DROP STATISTICS IF EXISTS customer_search_words"),
        # Fill them now rather than at autovacuum's next ANALYZE.
        migrations.RunSQL("ANALYZE customers_customer", migrations.RunSQL.noop),
    ]
