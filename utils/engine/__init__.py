"""The grading engine: everything that turns one submission into a verdict, and records it.

- ``assignment``: the released assignment as grading needs it (made once per run).
- ``intake``: finding submissions, taking them in without links or special files, and checking
  them before anything runs.
- ``runner``: one submission graded on its own: a scratch course made for it, the unit run there.
- ``cluster`` and ``task``: where units run: a Dask cluster (a local one for ``--jobs``, or a
  scheduler's), one task per submission, with what it needs and what it gives as bytes
  (``transfer``).
- ``unit``: nbgrader autograde, the judge, the settled scores and the feedback, in a process of
  its own within the submission's time limit.
- ``warm``: what every unit would otherwise repeat, done once per run in the server units are
  forked from; ``stages``: the seconds a submission spends in each stage of its grading.
- ``sandbox``: the bubblewrap sandbox every student kernel and the judge's collector run in;
  ``capped_folder`` caps what a sandbox can write, ``output_caps`` what a notebook can print,
  ``kernel_modules`` holds the one kit file a sandboxed kernel sees.
- ``judge`` and ``collector``: the re-check of a submission outside the student's kernel, with
  the checks the notebook's hidden cells declare (the assignment's checks.py).
- ``outcome``: statuses and scores of one submission, how the judge's verdict applies, and a
  reason for every point lost.
- ``version``: what a recorded grade depends on, and why a student is graded again.
- ``records``: the course as grading writes it: submitted/, autograded/, feedback/, the course
  exchange, and each outcome recorded in the gradebook.
- ``gradebook``: nbgrader's database (SQLite or PostgreSQL) with the kit's record of what was
  graded: one connection per run, locking, backups, one transaction per student.
- ``feedback``: the feedback page students get (exercise summary, offline maths).
- ``settings``: the grading settings read from nbgrader_config.py.

The commands in ``utils`` (grade, demo, validate, ...) sit on top of it.
"""
