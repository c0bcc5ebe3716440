"""What grading hands the instructor: grades.csv, a one-file class report and a summary table."""
import csv
import html
import math
import os
from pathlib import Path


def exercise_names(outcomes):
    names = []
    for outcome in outcomes:
        names += [name for name in outcome.exercises if name not in names]
    return names


def write_grades_csv(path, outcomes):
    """One row per student: status, total, points per exercise, flags and the reason."""
    exercises = exercise_names(outcomes)
    partial = Path(str(path) + ".part")
    with open(partial, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "status", "score", "max_score", *exercises, "flags", "message"])
        for o in sorted(outcomes, key=lambda o: o.student):
            writer.writerow([o.student, o.status, _number(o.score), _number(o.max_score),
                             *(_number(o.exercises.get(name, [0, 0])[0]) for name in exercises),
                             "; ".join(o.flags), o.message])
    os.replace(partial, path)


def _number(value):
    return f"{value:g}"


def score_histogram(outcomes, width=600, height=260):
    """The score distribution as an inline SVG bar chart: one bar per whole score from 0 to the
    maximum (a score counts for the nearest whole one), each with its count as a tooltip."""
    top = int(math.ceil(max(o.max_score for o in outcomes)))
    counts = [0] * (top + 1)
    for o in outcomes:
        counts[min(top, max(0, math.floor(o.score + 0.5)))] += 1
    most = max(counts)
    left, right, above, below = 48, 12, 12, 44
    plot_width, plot_height = width - left - right, height - above - below
    slot = plot_width / (top + 1)
    step = max(1, math.ceil(most / 5))
    parts = [f'<line x1="{left}" y1="{above + plot_height}" x2="{width - right}" '
             f'y2="{above + plot_height}" stroke="#333"/>']
    for tick in range(0, most + 1, step):
        y = above + plot_height * (1 - tick / most)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e4e4e4"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    for score, count in enumerate(counts):
        x, bar = left + score * slot, plot_height * count / most
        parts.append(f'<rect class="bar" x="{x + 1:.1f}" y="{above + plot_height - bar:.1f}" '
                     f'width="{slot - 2:.1f}" height="{bar:.1f}" fill="#3b7dd8">'
                     f'<title>score {score}: {count} student{"s" if count != 1 else ""}</title></rect>'
                     f'<text x="{x + slot / 2:.1f}" y="{above + plot_height + 16}" text-anchor="middle">{score}</text>')
    parts.append(f'<text x="{left + plot_width / 2:.1f}" y="{height - 6}" text-anchor="middle">'
                 f'score (out of {_number(top)})</text>'
                 f'<text transform="translate(14 {above + plot_height / 2:.1f}) rotate(-90)" '
                 f'text-anchor="middle">students</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
            f'font-family="sans-serif" font-size="12" aria-label="histogram of the students\' scores">'
            + "".join(parts) + "</svg>")


def pass_rates(outcomes):
    """{exercise: share of students with full marks on it}."""
    rates = {}
    for name in exercise_names(outcomes):
        full = [o for o in outcomes if o.exercises.get(name, [0, 1])[0] >= o.exercises.get(name, [0, 1])[1] > 0]
        rates[name] = len(full) / len(outcomes)
    return rates


def item_analysis(outcomes):
    """{exercise: [(check, students who failed it, one of their reasons)]} in notebook order, the
    most failed check first, over the submissions that ran (graded or timed out)."""
    from .engine.outcome import exercise_of

    failed = {name: {} for name in exercise_names(outcomes)}
    for o in outcomes:
        if o.status not in ("graded", "timed out"):
            continue
        for cell, check, why in {(cell, check, why) for cell, check, why in o.lost}:
            label = cell if check == "the cell" else f"{cell}: {check}"
            item = failed.setdefault(exercise_of(cell), {}).setdefault(label, [0, why])
            item[0] += 1
    return {exercise: sorted(((check, count, why) for check, (count, why) in items.items()),
                             key=lambda item: (-item[1], item[0]))
            for exercise, items in failed.items() if items}


def _reasons(outcome):
    """The lines of why a student lost points or was not graded."""
    return outcome.reasons or ([outcome.message] if outcome.message else [])


def write_report(path, assignment, outcomes, warnings=()):
    """A self-contained HTML page: histogram, pass rates, students, failures and flags."""
    e = html.escape
    exercises = exercise_names(outcomes)
    rows = []
    for o in sorted(outcomes, key=lambda o: o.student):
        cells = "".join(f"<td>{_number(o.exercises.get(n, [0, 0])[0])}</td>" for n in exercises)
        rows.append(f"<tr class='{e(o.status.replace(' ', '-'))}'><td>{e(o.student)}</td>"
                    f"<td>{e(o.status)}</td><td class='score'>{_number(o.score)} / {_number(o.max_score)}</td>"
                    f"{cells}<td>{e('; '.join(o.flags))}</td><td>{e(o.regraded)}</td></tr>")
    problems = [o for o in outcomes if o.status != "graded" or _reasons(o)]
    failures = "".join(
        f"<li><b>{e(o.student)}</b> ({e(o.status)})<ul>"
        + "".join(f"<li>{e(line)}</li>" for line in _reasons(o)) + "</ul></li>"
        for o in sorted(problems, key=lambda o: o.student)) or "<li>none</li>"
    flagged = "".join(f"<li><b>{e(o.student)}</b>: {e('; '.join(o.flags))}</li>"
                      for o in outcomes if o.flags) or "<li>none</li>"
    rates = "".join(f"<tr><td>{e(n)}</td><td>{r:.0%}</td></tr>" for n, r in pass_rates(outcomes).items())
    ran = sum(o.status in ("graded", "timed out") for o in outcomes)
    items = "".join(
        f"<tr><td>{e(exercise)}</td><td>{e(check)}</td><td>{count} of {ran}</td><td>{e(why)}</td></tr>"
        for exercise, checks in item_analysis(outcomes).items() for check, count, why in checks
    ) or "<tr><td colspan='4'>no check failed</td></tr>"
    graded = [o for o in outcomes if o.status == "graded"]
    mean = sum(o.score for o in outcomes) / len(outcomes)
    banner = "".join(f"<p class='warning'>{e(w)}</p>" for w in warnings)
    head = "".join(f"<th>{e(n)}</th>" for n in exercises)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{e(assignment)}: class report</title>
<style>
body {{ font-family: sans-serif; margin: 2em; max-width: 70em; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
td, th {{ border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }}
table.students tr.graded td:nth-child(2) {{ color: #2a7a2a; }}
table.students tr:not(.graded) td:nth-child(2) {{ color: #b02a2a; font-weight: bold; }}
td.score {{ white-space: nowrap; }}
li li {{ margin: 0.15em 0; }}
.warning {{ background: #fde2e2; border: 2px solid #b02a2a; padding: 0.6em; font-weight: bold; }}
</style>
</head>
<body>
<h1>{e(assignment)}: class report</h1>
{banner}
<p>{len(outcomes)} submissions, {len(graded)} graded without problems; mean score {mean:.2f} of {_number(outcomes[0].max_score)}.</p>
<h2>Score distribution</h2>
{score_histogram(outcomes)}
<h2>Full marks per exercise</h2>
<table><tr><th>exercise</th><th>students with full marks</th></tr>{rates}</table>
<h2>Checks the class failed</h2>
<p>For each exercise, the checks that cost students points, the most failed first, with one
student's reason as an example.</p>
<table><tr><th>exercise</th><th>check</th><th>students who failed it</th><th>for example</th></tr>{items}</table>
<h2>Students</h2>
<table class="students"><tr><th>student</th><th>status</th><th>score</th>{head}<th>flags</th><th>last graded because</th></tr>
{''.join(rows)}
</table>
<h2>Failures and points lost</h2>
<ul>{failures}</ul>
<h2>Flags to review</h2>
<p>Changed or deleted locked cells, checks switched off in the kernel, caps a submission reached,
entries left out when it was taken in.</p>
<ul>{flagged}</ul>
</body>
</html>
"""
    partial = Path(str(path) + ".part")
    partial.write_text(page)
    os.replace(partial, path)


def write_outputs(root, assignment, outcomes, warnings=()):
    """grades.csv and report.html at the course root; returns their paths."""
    root = Path(root)
    write_grades_csv(root / "grades.csv", outcomes)
    write_report(root / "report.html", assignment, outcomes, warnings)
    return {"grades": root / "grades.csv", "report": root / "report.html",
            "feedback": root / "feedback"}


def print_summary(outcomes, graded_now, paths):
    """A short table on the terminal, then where the files are. graded_now: the students graded
    in this run (the others kept their recorded outcome)."""
    width = max(len("student"), *(len(o.student) for o in outcomes))
    print(f"{'student':<{width}}  {'status':<16} score")
    for o in sorted(outcomes, key=lambda o: o.student):
        flag = "  (flagged: " + "; ".join(o.flags) + ")" if o.flags else ""
        print(f"{o.student:<{width}}  {o.status:<16} {_number(o.score)}/{_number(o.max_score)}{flag}")
    reused = len(outcomes) - len(graded_now)
    print(f"{len(graded_now)} graded now" + (f", {reused} unchanged since the last run" if reused else ""))
    why = {}
    for o in outcomes:
        if o.student in graded_now and o.regraded != "first grading":
            why.setdefault(o.regraded, []).append(o.student)
    for reason, students in sorted(why.items()):
        print(f"  graded again because {reason}: {', '.join(students)}")
    for name, path in paths.items():
        print(f"{name}: {path}")
