"""The `bench` user and rows up to BENCH_ROWS, owned by it; prints the newest row's id.

Works in the rendered project and in handwritten/: both have things.models.Thing with an owner,
a name and a description.
"""

import os

from django.contrib.auth import get_user_model
from django.db import connection
from things.models import Thing

User = get_user_model()
user = User.objects.filter(username="bench").first()
if user is None:
    user = User.objects.create_user("bench", password=os.environ["BENCH_PASSWORD"])
missing = int(os.environ["BENCH_ROWS"]) - Thing.objects.count()
text = "A row the benchmark made, about as long as a short description typed by a person."
Thing.objects.bulk_create(
    (Thing(owner=user, name=f"row {n}", description=text) for n in range(missing)),
    batch_size=5000,
)
if connection.vendor == "postgresql":
    # Settle now what autovacuum and the checkpointer would otherwise do during the runs.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
print(Thing.objects.order_by("-id").values_list("id", flat=True)[0])
