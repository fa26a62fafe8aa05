"""The report: each figure's median, then the ratios with their targets, met or not."""

import statistics

from .served import LARGE_TABLE, SMALL_TABLE

MEMORY_LIMIT_MB = 55
# Growth of the largest worker from 10,000 requests to 50,000 that still counts as none:
# a page or two that a rarely used code path touches late.
MEMORY_GROWTH_MB = 0.5
START_LIMIT_SECONDS = 2


def verdict(met):
    return "met" if met else "NOT MET"


def judge(values, target, at_least=True, unit="x"):
    """'1.234x  1.310x   (target >= 1.5x: NOT MET)' for one value per database."""
    met = all(value >= target if at_least else value <= target for value in values)
    sign = ">=" if at_least else "<="
    return f"{times(values, 3, unit)}   (target {sign} {target}{unit}: {verdict(met)})"


def times(values, digits=2, unit="x"):
    return "  ".join(f"{value:5.{digits}f}{unit}" for value in values)


def line(label, text):
    print(f"  {label:<50}{text}")


def rps(figure):
    return figure.median("rps")


def ratio(figure, other):
    """The median of the round-by-round ratios of requests/s. Both were loaded in each round,
    close in time, so a load elsewhere on the machine that lasts a round cancels out. A figure
    loaded once (the token obtain) is compared by its median."""
    if len(figure.runs) != len(other.runs):
        return rps(figure) / rps(other)
    pairs = zip(figure.runs, other.runs, strict=True)
    return statistics.median(ours["rps"] / theirs["rps"] for ours, theirs in pairs)


def report(run):
    """run: the finished bench (bench/run.py's Bench) with its figures and extra measures."""
    rendered, handwritten, bare = run.rendered, run.handwritten, run.bare
    print("\n=== figures: median of the rounds (CPU: serving processes, PostgreSQL included) ===")
    header = f"{'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'CPU ms/req':>9}   req/s per round"
    print(f"  {'':<40} {header}")
    for variant in rendered:
        names = ("list", "list_pinned", "list_large", "runserver", "floor", "detail", "create")
        for name in (*names, "obtain"):
            print(getattr(variant, name).row())
    for figure in (handwritten.list, handwritten.detail, handwritten.create, bare):
        print(figure.row())

    def each(ratio):
        return [ratio(variant) for variant in rendered]

    print(f"\n=== targets ({' / '.join(variant.database for variant in rendered)}) ===")
    for name in ("list", "detail", "create"):
        line(
            f"{name} / hand-written {name}:",
            judge(each(lambda v, n=name: ratio(getattr(v, n), getattr(handwritten, n))), 1.5),
        )
    line(
        "list / DRF + JWT view doing nothing:",
        judge(each(lambda v: ratio(v.list, v.floor)), 0.6),
    )
    by_database = {variant.database: variant for variant in rendered}
    if len(by_database) == 2:
        postgres = ratio(by_database["postgres"].list_pinned, by_database["sqlite"].list_pinned)
        line("PostgreSQL list / SQLite list:", f"{judge([postgres], 0.8)}   {run.cores.describe()}")
    memory(run.memory)
    if run.start_seconds is None:
        line("container start to healthy /healthz/:", f"not measured: {run.start_rounds}")
    else:
        rounds = ", ".join(f"{healthy:.2f} (up {up:.2f})" for healthy, up in run.start_rounds)
        line(
            "container start to healthy /healthz/ (median):",
            f"{judge([run.start_seconds], START_LIMIT_SECONDS, False, ' s')}   rounds {rounds}",
        )

    print("\n=== other ratios ===")
    # The same comparisons by CPU time per request, which the machine's other load disturbs
    # less than requests/s: how many of our requests the CPU of one hand-written request buys.
    for name in ("list", "detail", "create"):
        line(
            f"CPU a request, hand-written {name} / {name}:",
            times(
                each(
                    lambda v, n=name: (
                        getattr(handwritten, n).median("cpu") / getattr(v, n).median("cpu")
                    )
                ),
                3,
            ),
        )
    line("list, Gunicorn / runserver:", judge(each(lambda v: ratio(v.list, v.runserver)), 3))
    line("list, Gunicorn / bare view:", judge(each(lambda v: ratio(v.list, bare)), 0.3))
    # How much of the bare view's speed is left before the list does any work of its own.
    line(
        "DRF + JWT view doing nothing / bare view:",
        times(each(lambda v: ratio(v.floor, bare)), 3),
    )
    growth = each(lambda v: v.list_large.median("p50") / v.list.median("p50"))
    line(f"list p50, {LARGE_TABLE:,} rows / {SMALL_TABLE} rows:", judge(growth, 1.5, False))
    line(
        f"list req/s, {LARGE_TABLE:,} rows / {SMALL_TABLE} rows:",
        times(each(lambda v: ratio(v.list_large, v.list))),
    )
    for name in ("detail", "create", "obtain"):
        values = each(lambda v, name=name: ratio(getattr(v, name), v.list))
        line(f"{name} / list req/s:", times(values, digits=3))
    if len(by_database) == 2:
        sqlite, postgres = by_database["sqlite"], by_database["postgres"]
        for name in ("list_large", "detail", "create", "obtain", "runserver"):
            line(
                f"postgres / sqlite, {name}:",
                times([ratio(getattr(postgres, name), getattr(sqlite, name))]),
            )
        requests = sum(result["requests"] for result in postgres.list.runs)
        persistent = postgres.sessions <= 3 * len(postgres.list.runs)
        line(
            "PostgreSQL connections opened by list runs:",
            f"{postgres.sessions} for {requests} requests "
            f"({'persistent' if persistent else 'CONN_MAX_AGE DOES NOT TAKE EFFECT'})",
        )
    checks = ", ".join(f"{db} {'yes' if ok else 'NO'}" for db, ok in run.user_checks.items())
    line("deactivated user's token refused at once:", checks)
    line("render, cookiecutter --no-input (median):", judge([run.render_seconds], 1, False, " s"))


def memory(sizes):
    """RSS (and PSS) per worker at each count of requests; judged on the largest RSS."""
    counts = sorted(sizes)
    for count in counts:
        workers = "  ".join(f"{rss:.1f} ({pss:.1f})" for rss, pss in sizes[count])
        line(f"RSS (PSS) per worker, MB, after {count:,} requests:", workers)

    def largest(count):
        return max(rss for rss, _ in sizes[count])

    line(
        f"largest worker after {counts[-1]:,} requests:",
        judge([largest(counts[-1])], MEMORY_LIMIT_MB, False, " MB"),
    )
    growth = largest(counts[-1]) - largest(counts[-2])
    line(
        f"its growth from {counts[-2]:,} requests on:",
        judge([growth], MEMORY_GROWTH_MB, False, " MB"),
    )
