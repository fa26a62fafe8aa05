"""`make bench` (`python -m bench`, from the repository's root): how fast the rendered service
answers, beside the projects it is measured against. See run.py for what it measures and how.

Servers, clusters, commands, renders and virtualenvs come from tooling/, which the tests use
too; what is the bench's alone lives here, one module per part:

| module | what it does |
| --- | --- |
| `run` | the options, one run's order of measures, the exit line on a failure |
| `served` | the rendered project per database and the projects under projects/, served |
| `wrk` | one figure: wrk against one server, its output parsed and checked |
| `cores` | which cores the web side and PostgreSQL get (`taskset`) |
| `memory` | a Gunicorn worker's memory as the requests add up |
| `startup` | container start to the first healthy answer |
| `report` | each figure's median, the ratios and their targets, met or not |
| `profile_requests` | run inside a rendered project: where a request's time goes |
"""
