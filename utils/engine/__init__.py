"""The grading engine: everything that turns one submission into a verdict, and records it.

- ``assignment``: the released assignment as grading needs it (made once per run).
- ``intake``: finding submissions and checking them before anything runs.
- ``runner``: one submission graded on its own (nbgrader in a scratch course, then the judge).
- ``unit``: the nbgrader part of that, run in a process of its own.
- ``sandbox``: the bubblewrap sandbox every student kernel and the judge's collector run in.
- ``judge``: the re-check of a submission's functions outside the student's kernel.
- ``outcome``: statuses and scores of one submission, and how the judge's verdict applies.
- ``records``: the course folder: gradebook, ledger, autograded/ and feedback/.
- ``gradebook``: nbgrader's database: locking, backups, one transaction per student.
- ``settings``: the grading settings read from nbgrader_config.py.

The commands in ``utils`` (grade, demo, validate, ...) sit on top of it.
"""
