"""The grading engine: everything that turns one submission into a verdict, and records it.

- ``assignment``: the released assignment as grading needs it (made once per run).
- ``intake``: finding submissions and checking them before anything runs.
- ``runner``: one submission graded on its own (nbgrader in a scratch course, then the judge).
- ``unit``: the nbgrader part of that, run in a process of its own.
- ``sandbox``: the bubblewrap sandbox every student kernel and the judge's collector run in.
- ``judge``: the re-check of a submission's functions outside the student's kernel.
- ``outcome``: statuses and scores of one submission, and how the judge's verdict applies.
- ``records``: the course as grading writes it: submitted/, autograded/, feedback/, the course
  exchange, and each outcome recorded in the gradebook.
- ``gradebook``: nbgrader's database (SQLite or PostgreSQL) with the kit's record of what was
  graded: one connection per run, locking, backups, one transaction per student.
- ``feedback``: the feedback page students get (exercise summary, offline maths).
- ``settings``: the grading settings read from nbgrader_config.py.

The commands in ``utils`` (grade, demo, validate, ...) sit on top of it.
"""
