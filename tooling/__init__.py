"""The template's own tooling, shared by the tests and the bench, free of pytest.

Each module holds one subject; a failure is an ordinary exception from `errors`, and only the
tests turn it into a failed test (tests/ci_plugin.py) or the bench into its exit line.

| module | what it does |
| --- | --- |
| `constants` | paths, databases, routes, secret names, stand-in images: each defined once |
| `errors` | the exceptions the tooling raises |
| `machine` | commands, tools on PATH, free ports, stopping process groups |
| `processes` | /proc: a process's children, CPU time and memory; a Gunicorn master's workers |
| `project` | rendering the template, the rendered projects' cached virtualenv, `.env` |
| `locks` | the rendered projects' locks, per database: re-locking them (`make lock`) |
| `served` | a rendered project served over HTTP (`ServedProject`), and waiting for health |
| `postgres` | a throwaway PostgreSQL cluster, plain or TLS-only |
| `accounts` | users, tokens and session logins of a served project |
| `readme` | a rendered README's sections and commands, and pasting them into a terminal |
| `docker` | the Docker engine, image builds on stand-in bases, compose stacks |
| `stack` | a project's image and compose stack, brought up, its API through the published port |
| `load` | reads and writes from several clients during a deploy or a fault; what they got |
| `dev_project` | a rendered project driven through its Makefile, as a newcomer types it |
| `guide` | the commands of a rendered project's docs/deploy.md, as a person copies them |
| `workflow` | runs a GitHub Actions job's steps here; the template's CI calls it as a script |
| `regressions` | applies a regression to a copy of a bake, runs its suite: caught or missed |
| `regression_catalogue` | the regressions a rendered project's suite must catch, as data |
"""
